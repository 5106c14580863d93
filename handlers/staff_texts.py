"""Every string moderators, executors and admins see (their formatters: handlers/staff_format.py)."""

from __future__ import annotations

from handlers.subs_texts import SUBS_COMMAND

DESCRIPTION_ON_CARD = 1200
ANSWER_ON_CARD = 1800
REASON_MIN, REASON_MAX = 10, 1000
ANSWER_MIN, ANSWER_MAX = 20, 4000

# ----- refusals -----
ALREADY_HANDLED = "Это уже сделал(а) {by} — повторно ничего не выполняю."
ALREADY_HANDLED_ANON = "Это уже обработано — повторно ничего не выполняю."
STATUS_CHANGED = "Действие неактуально: статус обращения уже изменился. Ничего не изменено."
OTHER_ORG = "Это обращение направлено в другую организацию — ответить на него может только её исполнитель."
NOT_IN_WORK = "Обращение №{number} сейчас не в работе ({status}) — действие недоступно."
EXT_ALREADY = "По обращению №{number} уже есть запрос на продление — дождитесь решения модератора."
ANSWER_GONE = "Этот ответ уже не ждёт проверки."

# ----- moderator: queue -----
QUEUE_EMPTY = "Новых обращений нет — очередь пуста."
QUEUE_TITLE = ("<b>На модерации: {count}</b> (сначала самые старые)\n"
               "Ответов на проверке: {answers} · запросов продления: {extensions}")
QUEUE_LINE = "№{number} · {municipality} · {category} · {age}"
MOD_CARD = ("<b>Обращение №{number}</b> · {status}\n"
            "{municipality} · {category}\n"
            "Подано: {created} ({age})\n"
            "Место: {place}\n"
            "Фото: {photos}\n"
            "Автор: {author}{supporters}\n\n"
            "{description}")
SUPPORTERS = "\n👥 Поддержали: {count} (затронуто жителей: {people})"
AUTHOR_EARLIER = "ранее подал(а) обращений: {count}"
AUTHOR_FIRST = "первое обращение"
AUTHOR_GONE = "удалил(а) свои данные"
ACCEPT = "✅ Принять"
REJECT = "✖ Отклонить"
EDIT_CATEGORY = "Изменить категорию"
EDIT_MUNICIPALITY = "Изменить муниципалитет"
FULL_TEXT = "Текст полностью"
TO_QUEUE = "« К очереди"
ACCEPT_CONFIRM = ("Принять обращение №{number} в работу.\n"
                  "Организация по правилам маршрутизации: <b>{organization}</b>.\n"
                  "Срок ответа: до {due} ({days} раб. дн.).")
ACCEPT_NO_ROUTE = "Правило маршрутизации для «{municipality} × {category}» не задано — выберите организацию."
ACCEPT_TO = "✅ {organization}"
OTHER_ORGANIZATION = "Другая организация"
CHOOSE_ORG = "Выберите организацию для обращения №{number}:"
NO_ORGS = "Организаций пока нет — их добавляет администратор (active-region orgs add)."
ACCEPTED = "Обращение №{number} принято в работу: {organization}, срок до {due}. Исполнителей уведомлено: {executors}."
NO_EXECUTORS = "\n⚠ У этой организации пока нет исполнителей в боте — назначьте: /grant executor vk:… {organization}"
CHOOSE_CATEGORY = "Новая категория для обращения №{number} (сейчас: {current}):"
CHOOSE_MUNICIPALITY = "Новый муниципалитет для обращения №{number} (сейчас: {current}):"
CATEGORY_CHANGED = "Категория обращения №{number} изменена на «{value}»."
MUNICIPALITY_CHANGED = "Муниципалитет обращения №{number} изменён на «{value}»."

# ----- moderator: reject -----
REJECT_CHOOSE = "Почему отклоняется обращение №{number}? Заявитель получит причину простыми словами."
REJECT_LABELS = {
    "vague": "Нет конкретики",
    "competence": "Вне компетенции региона",
    "abuse": "Нецензурная лексика",
    "duplicate": "Дубликат обращения №…",
    "own": "✍ Своя причина",
}
REJECT_FOR_RESIDENT = {
    "vague": ("В обращении не хватает подробностей, чтобы ведомство могло разобраться и принять меры: что именно "
              "случилось, где (точный адрес или ориентир) и с какого времени. Пожалуйста, подайте новое "
              "обращение (/new) с этими подробностями — фото тоже очень помогают."),
    "competence": ("Этот вопрос не решают органы власти региона и местного самоуправления — он относится к "
                   "федеральным службам, суду или частным организациям. Через портал мы не можем направить "
                   "его в ответственную организацию; пожалуйста, обратитесь туда напрямую."),
    "abuse": ("В тексте обращения есть нецензурные или оскорбительные выражения, а такие обращения портал не "
              "может передать в ведомство. Пожалуйста, опишите проблему заново без них (/new) — мы обязательно "
              "её рассмотрим."),
    "duplicate": ("Об этой проблеме уже сообщали: она рассматривается в обращении №{original}. Ответ по нему "
                  "придёт его автору и будет опубликован на портале: {url}"),
}
ASK_DUPLICATE = "Напишите номер обращения, дубликатом которого является №{number} (например, {example})."
DUPLICATE_UNKNOWN = "Не нашёл обращения «{number}». Проверьте номер и пришлите ещё раз."
DUPLICATE_NOT_NEAR = "Это обращение нельзя указать как оригинал: оно закрыто, другой категории или далеко."
DUPLICATE_BUTTON = "🔁 Дубликат…"
DUPLICATE_PICK = "Дубликатом какого обращения является №{number}? Открытые обращения той же категории рядом:"
DUPLICATE_NONE = "Рядом нет открытых обращений той же категории. Дубликат по номеру — «Отклонить» → «Дубликат»."
DUPLICATE_CHOICE = "№{number} · {distance} м · {status}"
MERGED = ("Обращение №{number} отклонено как дубликат №{original}: автор теперь поддерживает №{original} "
          "и получит ответ по нему.")
MERGED_FOR_RESIDENT = "\n\nВы подписаны на обращение №{original}: ответ по нему придёт и вам."
DUPLICATE_SELF = "Обращение не может быть дубликатом самого себя — пришлите номер другого обращения."
ASK_REASON = ("Напишите причину отклонения обращения №{number}: её получит заявитель, поэтому вежливо и "
              "понятно, от {min} до {max} символов.")
REASON_LENGTH = "Причина должна быть от {min} до {max} символов."
REJECTED = "Обращение №{number} отклонено. Заявитель получит причину:\n<i>{reason}</i>"
RESIDENT_REJECTED = ("Ваше обращение <b>№{number}</b>, к сожалению, не может быть передано в работу.\n\n"
                     "{reason}\n\nСпасибо, что сообщаете о проблемах.")

# ----- moderator: review -----
REVIEW_EMPTY = "Ответов на проверке нет."
REVIEW_TITLE = "<b>Ответов на проверке: {count}</b> (сначала самые старые)"
REVIEW_LINE = "№{number} · {organization} · {due}"
REVIEW_CARD = ("<b>Ответ на обращение №{number}</b> (версия {version})\n"
               "{municipality} · {category}\n"
               "Исполнитель: {executor} · {organization}\n"
               "Срок: {due}\n"
               "{warning}"
               "\n<b>Обращение:</b>\n{description}\n\n"
               "<b>Ответ</b> (фото: {photos}):\n{text}")
PUBLISH = "✅ Опубликовать"
RETURN = "↩ Вернуть на доработку"
FULL_ANSWER = "Ответ полностью"
OPEN_SIGNAL = "Обращение полностью"
TO_LIST = "« К списку"
PUBLISHED = "Ответ на обращение №{number} опубликован. Уведомлено заявителей: {count}."
RETURN_LABELS = {
    "no_date": "Нет срока устранения",
    "no_evidence": "Нет акта или фото работ",
    "citations": "Нормы без конкретных действий",
    "contradictory": "Ответ противоречив",
}
RETURN_REASONS = {
    "no_date": "Ответ формальный: не указан срок, к которому проблема будет устранена.",
    "no_evidence": "Нет подтверждения выполненных работ — приложите акт или фото результата.",
    "citations": "Ответ ссылается на нормативные акты, но не объясняет, что конкретно будет сделано.",
    "contradictory": "Ответ противоречит сам себе или материалам обращения.",
}
RETURN_PROMPT = ("Почему ответ на обращение №{number} возвращается? Отметьте причины кнопками и при "
                 "необходимости напишите комментарий исполнителю сообщением.\n\n"
                 "<b>Причины:</b> {chosen}\n<b>Комментарий:</b> {comment}")
NOTHING_CHOSEN = "не выбраны"
NO_COMMENT = "нет"
RETURN_SEND = "↩ Вернуть исполнителю"
RETURN_NEED = "Отметьте хотя бы одну причину или напишите комментарий."
COMMENT_LENGTH = "Комментарий — до {max} символов."
RETURNED = "Ответ на обращение №{number} возвращён на доработку. Исполнитель получит причины и комментарий."
RETURN_DETAILS = "{reasons}{comment}"
COMMENT_LINE = "\n<b>Комментарий модератора:</b> {comment}"

# ----- moderator: signal card, history, extensions -----
SIGNAL_USAGE = "Укажите номер обращения: /signal 2025-000123"
STAFF_EXTRA = "\nОрганизация: {organization} · срок: {due}"
REJECT_REASON = "\n\n<b>Причина отклонения:</b> {reason}"
PUBLISHED_ANSWER = "\n\n<b>Опубликованный ответ</b> ({organization}):\n{text}"
HISTORY_TITLE = "\n\n<b>История</b>"
HISTORY_LINE = "{when} — {action}{actor}{details}"
AUDIT = {
    "filed": "подано", "accept": "принято в работу", "reject": "отклонено",
    "submit_answer": "ответ отправлен на проверку", "return_answer": "ответ возвращён на доработку",
    "publish_answer": "ответ опубликован", "close": "закрыто", "reopen": "возвращено на повторное рассмотрение",
    "extend": "срок продлён", "extension_requested": "запрошено продление срока",
    "extension_declined": "в продлении отказано", "edit": "изменено модератором",
    "supported": "поддержано жителем",
    "followup_asked": "жителей спросили «Проблема решена?»", "confirm_fixed": "житель подтвердил: решено",
    "close_unconfirmed": "закрыто без подтверждения", "reopen_not_fixed": "житель: не решено — снова в работе",
    "reroute": "перенаправлено в другую организацию",
}
CHECK_ANSWER = "Проверить ответ"
EXT_EMPTY = "Запросов на продление срока нет."
EXT_TITLE = "<b>Запросы на продление: {count}</b>"
EXT_CARD = ("<b>Запрос продления срока</b> по обращению №{number}\n"
            "{organization} · исполнитель {executor}\n"
            "Текущий срок: {due}\n"
            "Просят: +{days} раб. дн. → до {new_due}\n\n"
            "Причина: {reason}")
EXT_APPROVE = "✅ Продлить"
EXT_DECLINE = "✖ Отказать"
EXT_APPROVED = "Срок по обращению №{number} продлён до {due}. Исполнитель и заявитель уведомлены."
EXT_DECLINED = "В продлении срока по обращению №{number} отказано; исполнитель уведомлён."

# ----- notifications (outbox) -----
RESIDENT_ACCEPTED = ("✅ Ваше обращение <b>№{number}</b> принято в работу и направлено: {organization}. "
                     "Ответ — до <b>{due}</b>; он придёт сюда после проверки модератором.")
TASK_ASSIGNED = ("📌 Новая задача: обращение <b>№{number}</b> · {municipality} · {category}. "
                 "Срок ответа — до <b>{due}</b>.")
OPEN_TASK = "Открыть задачу"
ANSWER_FOR_REVIEW = "📝 Ответ на обращение <b>№{number}</b> ({organization}) ждёт проверки."
EXECUTOR_RETURNED = ("↩ Ответ на обращение <b>№{number}</b> возвращён модератором на доработку.\n\n"
                     "{details}\n\nИсправьте ответ и отправьте снова.")
RESIDENT_ANSWER = ("📬 <b>Ответ на ваше обращение №{number}</b>\n{organization}:\n\n{text}\n\n"
                   '<a href="{url}">Обращение на портале</a>')
RATE_PROMPT = "\n\nОцените, пожалуйста, ответ — это помогает добиваться от ведомств конкретных решений."
RATE_UP = "👍 Доволен(на)"
RATE_DOWN = "👎 Не доволен(на)"
EXTENSION_FOR_MODERATORS = ("⏳ {organization} просит продлить срок по обращению <b>№{number}</b> на {days} "
                            "раб. дн. (сейчас до {due}).\nПричина: {reason}")
EXECUTOR_EXT_APPROVED = "✅ Срок по обращению <b>№{number}</b> продлён до <b>{due}</b>."
EXECUTOR_EXT_DECLINED = "✖ В продлении срока по обращению <b>№{number}</b> отказано. Срок прежний: {due}."
RESIDENT_EXTENDED = "ℹ Срок ответа по вашему обращению <b>№{number}</b> продлён до <b>{due}</b>.\nПричина: {reason}"

# ----- executor -----
NO_ORG = "Вы не привязаны ни к одной организации — попросите администратора назначить вас (/grant executor …)."
TASKS_EMPTY = "Задач в работе нет."
TASKS_TITLE = "<b>Задачи в работе: {count}</b> (ближайший срок — первым)"
TASKS_TITLE_AFFECTED = "<b>Задачи в работе: {count}</b> (больше всего затронутых жителей — первыми)"
TASKS_BY_AFFECTED = "👥 Сначала самые массовые"
TASKS_BY_DUE = "📅 Сначала ближайший срок"
TASK_LINE = "{mark}№{number} · {category} · {due}{supporters}"
TASK_SUPPORTERS = " · 👥 {count}"
OVERDUE_MARK = "⚠ "
TASK_CARD = ("<b>Обращение №{number}</b>\n"
             "{municipality} · {category} · {organization}\n"
             "Срок ответа: {due}\n"
             "Место: {place}\n"
             "Фото: {photos}\n\n"
             "{description}")
RETURNED_NOTE = "\n\n↩ <b>Ответ (версия {version}) возвращён модератором:</b>\n{details}"
ANSWER_BUTTON = "✍ Ответить"
EXTEND_BUTTON = "⏳ Запросить продление"
TO_TASKS = "« К задачам"
ASK_ANSWER = ("Напишите ответ на обращение №{number} одним сообщением (до {max} символов).\n"
              "Хороший ответ говорит, <b>что</b> сделано или будет сделано, <b>кем</b> и <b>к какой дате</b>; "
              "ссылки на нормы не заменяют конкретики.")
PREVIOUS_ANSWER = "\n\nПрежний текст — скопируйте и исправьте или оставьте как есть:\n<i>{text}</i>"
KEEP_TEXT = "Оставить прежний текст"
ANSWER_TOO_LONG = "Ответ длиннее {max} символов ({length}) — сократите, пожалуйста, и пришлите снова."
ANSWER_TOO_SHORT = "Слишком коротко — ответ должен объяснять, что и когда будет сделано."
ASK_ANSWER_PHOTOS = ("Приложите фото к ответу — например, результат работ или акт (до {max} шт.). "
                     "Если фото нет — «Пропустить».")
KEEP_PHOTOS = "Оставить прежние фото ({count})"
ANSWER_PHOTOS_ADDED = "Фото к ответу: {count} из {max}. Пришлите ещё или нажмите «Готово»."
PREVIEW = "<b>Проверьте ответ на обращение №{number}</b> (фото: {photos})\n\n{text}"
SUBMIT = "📨 Отправить на проверку"
EDIT_TEXT = "Изменить текст"
EDIT_PHOTOS = "Изменить фото"
SUBMITTED = ("Ответ на обращение №{number} отправлен на проверку модератору. "
             "После публикации его получит заявитель.")
ASK_EXT_REASON = ("Почему нужно продлить срок по обращению №{number} (сейчас до {due})? Напишите причину — "
                  "её увидят модератор и заявитель.")
ASK_EXT_DAYS = "На сколько рабочих дней продлить срок? Выберите или напишите число от 1 до {max}."
EXT_DAYS_BAD = "Нужно целое число от 1 до {max}."
EXT_REQUESTED = "Запрос на продление срока по обращению №{number} на {days} раб. дн. отправлен модераторам."

# ----- admin -----
ROLE_NAMES = {"moderator": "модератор", "executor": "исполнитель", "admin": "администратор"}
GRANT_USAGE = ("Как выдать роль:\n/grant moderator telegram:123456789\n"
               "/grant executor vk:456789 Название организации\n/grant admin telegram:123456789\n\n"
               "Снять роль — /revoke с теми же параметрами; для исполнителя можно указать организацию, "
               "чтобы открепить его только от неё.")
UNKNOWN_ROLE = "Неизвестная роль «{role}». Возможные: moderator, executor, admin."
BAD_IDENTITY = "Укажите человека как telegram:&lt;id&gt; или vk:&lt;id&gt;, например telegram:123456789."
NEED_ORG = "Исполнитель привязывается к организации: /grant executor vk:456789 Название организации"
ORG_UNKNOWN = "Не нашёл организацию «{name}». Есть: {known}"
NOBODY = "Не знаю пользователя {who}."
SELF_REVOKE = "Снять роль администратора с самого себя нельзя — попросите другого администратора."
GRANTED = "Готово: {who} — {role}{org}."
REVOKED = "Готово: {who} больше не {role}{org}."
ORG_SUFFIX = " ({organization})"

# ----- command menus -----
COMMANDS = {
    "start": "Начать", "new": "Сообщить о проблеме", "my": "Мои обращения", "subscriptions": SUBS_COMMAND,
    "help": "Как это работает",
    "cancel": "Прервать заполнение", "forget": "Удалить мои данные",
    "tasks": "Задачи моей организации", "queue": "Очередь модерации", "review": "Ответы на проверке",
    "extensions": "Запросы продления сроков", "signal": "Обращение по номеру",
    "grant": "Выдать роль", "revoke": "Снять роль",
}
