"""Boilerplate detection on a small corpus of real-looking official answers."""

from __future__ import annotations

import pytest

from handlers.boilerplate import THRESHOLD, cosine, similarity, tokens, vector

# Brush-offs: the same template with another street, date or number.
ROADS_TEMPLATE = [
    "Уважаемый заявитель! Ваше обращение рассмотрено. Сообщаем, что ремонт автомобильной дороги по ул. Ленина "
    "будет рассмотрен при формировании плана дорожных работ на 2025 год при наличии финансирования. "
    "Информация принята к сведению.",
    "Уважаемый заявитель! Ваше обращение рассмотрено. Сообщаем, что ремонт автомобильной дороги по ул. Мира "
    "будет рассмотрен при формировании плана дорожных работ на 2026 год при наличии финансирования. "
    "Информация принята к сведению.",
    "Уважаемая заявительница! Ваше обращение от 03.04.2024 № 1187 рассмотрено. Сообщаем, что ремонт "
    "автомобильной дороги по улице Чернова будет рассмотрен при формировании плана дорожных работ на 2025 год "
    "при наличии финансирования. Информация принята к сведению.",
]
HOUSING_TEMPLATE = [
    "Администрацией рассмотрено Ваше обращение от 12.03.2024 № 456. В адрес управляющей организации "
    "ООО «Уютный дом» направлено письмо о необходимости принятия мер в рамках действующего законодательства. "
    "Контроль за исполнением оставлен за администрацией.",
    "Администрацией рассмотрено Ваше обращение от 02.02.2025 № 77. В адрес управляющей организации "
    "ООО «ЖЭУ-5» направлено письмо о необходимости принятия мер в рамках действующего законодательства. "
    "Контроль за исполнением оставлен за администрацией.",
]
# Specific answers: what was done or will be done, by whom, by when.
SPECIFIC = [
    "Яма на проезжей части у дома 15 по ул. Первомайской заделана 14.05.2024 подрядной организацией "
    "ООО «Дорожник» методом литого асфальта. Фото выполненных работ прилагаем.",
    "Светильник уличного освещения на опоре № 27 по ул. Оплеснина заменён 20.03.2024 бригадой МУП "
    "«Горсвет». Освещение участка восстановлено, акт выполненных работ от 20.03.2024 прилагается.",
    "Вывоз крупногабаритных отходов с контейнерной площадки у дома 8 по Октябрьскому проспекту выполнен "
    "региональным оператором 11.04.2024. Оператору выставлено требование соблюдать график вывоза по четвергам.",
    "Отопление в доме 3 по ул. Гагарина восстановлено 05.11.2024 после замены участка трубопровода "
    "в подвале. Перерасчёт платы за период без отопления будет отражён в квитанции за ноябрь.",
    "Остановочный павильон «Школа № 4» будет установлен до 30.06.2025: муниципальный контракт "
    "№ 0107300 заключён 18.04.2025 с ИП Смирновым, работы включены в график на июнь.",
]


def test_tokens_drop_case_punctuation_numbers_and_stop_words():
    assert tokens("Ремонт ДОРОГИ, ул. Ленина, д. 5 — до 15.06.2025!") == ["ремонт", "дорог", "ленин"]
    assert tokens("Ёлка ёлки") == ["елк", "елк"]  # one stem for both forms
    assert tokens("") == [] and tokens("12.03.2024 № 456") == []


def test_stemming_joins_word_forms():
    assert cosine(vector("дорога дороги"), vector("дороге дорогу")) == pytest.approx(1.0)


def test_same_template_with_other_dates_and_numbers_is_identical():
    a = "Ваше обращение от 12.03.2024 № 456 рассмотрено, информация принята к сведению."
    b = "Ваше обращение от 01.09.2025 № 9981 рассмотрено, информация принята к сведению."
    assert similarity(a, [b]).best == pytest.approx(1.0)


def test_a_new_brush_off_matches_every_earlier_copy_of_its_template():
    corpus = ROADS_TEMPLATE + HOUSING_TEMPLATE + SPECIFIC
    new = ("Уважаемый заявитель! Ваше обращение рассмотрено. Сообщаем, что ремонт автомобильной дороги по "
           "ул. Куратова будет рассмотрен при формировании плана дорожных работ на 2027 год при наличии "
           "финансирования. Информация принята к сведению.")
    found = similarity(new, corpus)
    assert found.best >= THRESHOLD and found.matches == len(ROADS_TEMPLATE)
    assert found.is_boilerplate


def test_housing_brush_off_matches_its_template_only():
    new = ("Администрацией рассмотрено Ваше обращение от 10.10.2025 № 1200. В адрес управляющей организации "
           "ООО «Северный дом» направлено письмо о необходимости принятия мер в рамках действующего "
           "законодательства. Контроль за исполнением оставлен за администрацией.")
    found = similarity(new, ROADS_TEMPLATE + HOUSING_TEMPLATE + SPECIFIC)
    assert found.matches == len(HOUSING_TEMPLATE)


@pytest.mark.parametrize("index", range(len(SPECIFIC)))
def test_specific_answers_are_not_flagged(index):
    others = ROADS_TEMPLATE + HOUSING_TEMPLATE + SPECIFIC[:index] + SPECIFIC[index + 1:]
    found = similarity(SPECIFIC[index], others)
    assert found.matches == 0 and found.best < 0.5, found
    assert not found.is_boilerplate


def test_templates_are_told_apart():
    assert similarity(ROADS_TEMPLATE[0], HOUSING_TEMPLATE).best < 0.5


def test_empty_corpus_or_text():
    assert similarity("Работы выполнены", []).best == 0.0
    assert similarity("", ROADS_TEMPLATE).matches == 0
