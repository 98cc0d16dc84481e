"""Messages whose content changed (``edited_at``: the bot's request answered or expired), by chat: what a
reconnecting page asks for (parta/messenger/consumers.py). Partial: most messages never change."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0005_oidc_auth_time_and_journal_audit'),
        ('messenger', '0004_chat_member_without_fk_checks'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='message',
            index=models.Index(condition=models.Q(('edited_at__isnull', False)), fields=['chat', 'edited_at'], name='messenger_message_changed'),
        ),
    ]
