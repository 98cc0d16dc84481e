"""Chat members: no index of their own and no database check for the two foreign keys (the unique
constraint and the (profile, chat) index serve them; the row-by-row check made half of a large
``groups:sync``). See ChatMember in parta/messenger/models/chats.py and bench/RESULTS.md."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0005_oidc_auth_time_and_journal_audit"),
        ("messenger", "0003_bot_conferences_link_requests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chatmember",
            name="chat",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="members",
                to="messenger.chat",
                verbose_name="чат",
            ),
        ),
        migrations.AlterField(
            model_name="chatmember",
            name="profile",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="chat_memberships",
                to="identity.educationalprofile",
                verbose_name="учебный профиль",
            ),
        ),
    ]
