"""Texts of subscriptions (/subscriptions, «Отписаться») and of the notices every subscriber gets (Russian)."""

SUBS_BUTTON = "🔔 Подписки"
SUBS_COMMAND = "Мои подписки"
SUBS_EMPTY = ("Вы не следите ни за одним открытым обращением. Уведомления приходят по обращениям, "
              "которые вы подали или поддержали («Я тоже»).")
SUBS_TITLE = "<b>Вы следите за обращениями</b> ({count}) — об изменениях по ним приходят уведомления:"
SUBS_MORE = "\n…и ещё {count}: показаны последние."
SUBS_LINE = "№{number} · {category} · {status}{role}"
SUBS_ROLE_AUTHOR = " · подали вы"
SUBS_ROLE_SUPPORTER = " · вы поддержали"
SUBS_LEAVE = "🔕 Отписаться — №{number}"
SUBS_LEFT = ("Вы отписались от обращения <b>№{number}</b>: уведомления по нему больше не придут. "
             "Обращение и ваша поддержка остаются.")
SUBS_LEFT_AUTHOR = ("Вы отписались от обращения <b>№{number}</b>: уведомления по нему больше не придут. "
                    "Оценить ответ можно и без подписки — в /my.")
SUBS_NOT_FOLLOWING = "Вы уже не подписаны на обращение <b>№{number}</b>."
SUBS_FOLLOW_AGAIN = "🔔 Подписаться снова — №{number}"
SUBS_FOLLOWING = "Вы снова подписаны на обращение <b>№{number}</b>."

# appended to every notice about a signal for a subscriber who did not file it
SUBSCRIBER_FOOTER = "\n\n<i>Вы подписаны на это обращение. Отписаться — /subscriptions.</i>"
RESIDENT_REOPENED = ("🔄 Обращение <b>№{number}</b> возвращено на повторное рассмотрение: автор не согласен "
                     "с ответом. Новый ответ придёт сюда.")
