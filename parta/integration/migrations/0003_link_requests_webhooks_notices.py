# Manual 003 (linking confirmed in the messenger), webhooks received, the new-year notice.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("integration", "0002_sync_ledger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReceivedWebhook",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "event_id",
                    models.CharField(max_length=100, unique=True, verbose_name="id события (Webhook-Id)"),
                ),
                ("type", models.CharField(max_length=64, verbose_name="тип")),
                ("payload", models.JSONField(default=dict, verbose_name="тело")),
                (
                    "received_at",
                    models.DateTimeField(
                        db_index=True, default=django.utils.timezone.now, verbose_name="получено"
                    ),
                ),
                ("result", models.CharField(blank=True, max_length=255, verbose_name="что сделано")),
            ],
            options={
                "verbose_name": "полученный вебхук",
                "verbose_name_plural": "полученные вебхуки",
                "ordering": ["-received_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="MessengerLinkRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "request_id",
                    models.CharField(max_length=64, unique=True, verbose_name="id запроса на платформе"),
                ),
                ("phone", models.CharField(max_length=16, verbose_name="телефон")),
                ("org_ref", models.CharField(max_length=64, verbose_name="школа (sourcedId)")),
                ("roles", models.JSONField(default=list, verbose_name="роли в журнале")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("pending", "ждёт ответа в мессенджере"),
                            ("confirmed", "подключено"),
                            ("declined", "отказ («Не подключать»)"),
                            ("expired", "истёк срок"),
                            ("no_account", "нет аккаунта с этим номером"),
                            ("failed", "не удалось сохранить привязку"),
                        ],
                        max_length=12,
                        verbose_name="состояние",
                    ),
                ),
                (
                    "profile_sub",
                    models.CharField(blank=True, max_length=64, verbose_name="учебный профиль (sub)"),
                ),
                (
                    "link_id",
                    models.CharField(blank=True, max_length=64, verbose_name="id связи на платформе"),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="создан"),
                ),
                ("expires_at", models.DateTimeField(blank=True, null=True, verbose_name="действует до")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="решён")),
                ("decided_by", models.CharField(blank=True, max_length=16, verbose_name="откуда узнали")),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sferum_link_requests",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="учётная запись",
                    ),
                ),
            ],
            options={
                "verbose_name": "запрос привязки в мессенджере",
                "verbose_name_plural": "запросы привязки в мессенджере",
                "ordering": ["-created_at", "-pk"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("state", "pending")),
                        fields=("account",),
                        name="one_pending_link_request_per_account",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="NewYearNotice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("year_ref", models.CharField(max_length=64, verbose_name="учебный год (sourcedId)")),
                (
                    "shown_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="показано"),
                ),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sferum_new_year_notices",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="учётная запись",
                    ),
                ),
            ],
            options={
                "verbose_name": "уведомление о новом учебном годе",
                "verbose_name_plural": "уведомления о новом учебном годе",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account", "year_ref"), name="one_new_year_notice_per_year"
                    )
                ],
            },
        ),
    ]
