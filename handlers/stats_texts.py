"""Every user-facing string of statistics, charts, exports and open data (Russian)."""

from __future__ import annotations

PERIODS = {"w": "Неделя", "m": "Месяц", "q": "Квартал", "y": "Год", "a": "Всё время"}
DATES = "📅 Свои даты…"
BY_MUNICIPALITY = "🏘 Муниципалитет…"
BY_CATEGORY = "🗂 Категория…"
BY_ORGANIZATION = "🏛 Организация…"
NO_FILTER = "✖ Без фильтра"
BACK_TO_STATS = "‹ К статистике"
CHOOSE = "<b>Статистика обращений.</b> Выберите период:"
CHOOSE_FILTER = {"m": "Выберите муниципалитет:", "c": "Выберите категорию:", "o": "Выберите организацию:"}
ASK_DATES = ("Напишите две даты через пробел или тире, например <i>01.01.2026 – 31.03.2026</i> "
             "(не больше 10 лет).")
BAD_DATES = "Не получилось прочитать даты. Пример: <i>01.01.2026 – 31.03.2026</i>."
STAFF_ONLY = "Эта статистика доступна модераторам и администраторам."
EMPTY = "За период {period}{scope} обращений не было — графики строить не из чего. Выберите другой период."
TITLE = "<b>Статистика</b> · {period}{scope}"
SCOPE = " · {name}"
COUNTS = ("Подано: <b>{filed}</b> · принято: {accepted} · отклонено: {rejected}\n"
          "Отвечено: {answered} · закрыто: {closed} · просрочено: {overdue} · открыто повторно: {reopened}")
TIMES = ("Принятие, рабочих дней: медиана {ack_med}, 90 % — до {ack_p90}\n"
         "Ответ, рабочих дней: медиана {ans_med}, 90 % — до {ans_p90}")
SHARES = ("Отвечено в срок: {on_time} · довольны ответом: {satisfied} (оценок: {rated})\n"
          "Ответов с признаками отписки: {flagged} · открыто повторно: {reopened_share}")
ORGS_TITLE = "<b>Организации</b> (медиана/90 % рабочих дней: принятие · ответ; в срок; 👍; отписки; повторно):"
ORG_LINE = "{n}. {name} — {filed}: {ack} · {ans}; {on_time}; {satisfied}; {flagged}; {reopened}"
ORGS_MORE = "…и ещё организаций: {count} (полный список — в выгрузке)"
NOT_ROUTED = "Не направлено"
DASH = "—"
CHARTS_NOTE = "Графики ниже. Цифры точные: медианы и 90-й процентиль посчитаны по всем обращениям периода."

PUBLIC = ("<b>Активный регион в цифрах</b>\n\n"
          "<b>За 30 дней</b>: подано {recent_filed}, отвечено {recent_answered}; "
          "ответ в среднем (медиана) за {recent_median} раб. дн.; в срок {recent_on_time}; "
          "довольны ответом {recent_satisfied}.\n"
          "<b>За всё время</b>: подано {all_filed}, отвечено {all_answered}; "
          "медиана ответа {all_median} раб. дн.; в срок {all_on_time}; довольны ответом {all_satisfied}.")

# charts
CHART_COUNTS = "Обращения за период"
COUNT_LABELS = {"filed": "Подано", "accepted": "Принято", "rejected": "Отклонено", "answered": "Отвечено",
                "closed": "Закрыто", "overdue": "Просрочено", "reopened": "Повторно"}
CHART_MUNICIPALITIES = "Доля по муниципалитетам"
CHART_CATEGORIES = "Доля по категориям"
OTHERS = "Остальные"
CHART_ORGS = "Сроки по организациям, рабочих дней"
ORG_SERIES = ("Принятие: медиана", "Принятие: 90 %", "Ответ: медиана", "Ответ: 90 %")
CHART_TREND = "По месяцам"
TREND_SERIES = ("Подано", "Из них отвечено")
FILE_OVERVIEW = "statistika-obzor.png"
FILE_ORGS = "statistika-organizacii.png"
FILE_TREND = "statistika-po-mesyacam.png"

# exports
EXPORT_USAGE = ("Выгрузка обращений: <i>/export ДД.ММ.ГГГГ ДД.ММ.ГГГГ [csv|xlsx]</i>, например "
                "<i>/export 01.01.2026 31.03.2026 xlsx</i>. Без персональных данных; с ними — только "
                "командой <i>active-region export signals --with-personal-data</i> на сервере.")
EXPORT_READY = "Выгрузка обращений {period}: строк — {rows}. Без персональных данных."
EXPORT_TOO_BIG = "В выгрузке больше {limit} строк — сузьте период или выгрузите на сервере (active-region export)."
OPENDATA_READY = ("Открытые данные: агрегаты по месяцам, организациям, муниципалитетам и категориям "
                  "(без персональных данных), строк — {rows}.")
OPENDATA_EMPTY = "Обращений ещё нет — публиковать нечего."
COMMANDS = {"stats": "Статистика", "export": "Выгрузка обращений", "opendata": "Открытые данные (CSV)"}
