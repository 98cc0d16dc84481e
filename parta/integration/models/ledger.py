"""The ledger of the roster → chats sync: what was applied on the platform, per school, group and member,
the history of every membership change with its reason (docs/sync.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SyncStatus(models.TextChoices):
    IDLE = "idle", "нет работы"
    PENDING = "pending", "ждёт синхронизации"
    RUNNING = "running", "идёт синхронизация"
    HELD = "held", "ждёт подтверждения оператора"
    FAILED = "failed", "ошибка, будет повтор"


class SyncSchool(models.Model):
    """The sync state of one journal school. Dirty while ``dirty_seq > done_seq``: marking dirty bumps
    ``dirty_seq``; a run remembers the value it started with and sets ``done_seq`` to it at the end, so
    a change that arrives during a run keeps the school dirty."""

    school_id = models.BigIntegerField("школа (id в журнале)", unique=True)
    org_ref = models.CharField("организация (sourcedId)", max_length=64, blank=True)
    name = models.CharField("школа", max_length=255, blank=True)
    status = models.CharField("состояние", max_length=8, choices=SyncStatus.choices, default=SyncStatus.IDLE)
    dirty_seq = models.BigIntegerField(default=0)
    done_seq = models.BigIntegerField(default=0)
    dirty_reason = models.CharField("причина (последнее событие)", max_length=40, blank=True)
    attempts = models.PositiveIntegerField("неудачных попыток подряд", default=0)
    next_attempt_at = models.DateTimeField("следующая попытка", null=True, blank=True)
    last_run_at = models.DateTimeField("последний запуск", null=True, blank=True)
    last_ok_at = models.DateTimeField("последняя успешная синхронизация", null=True, blank=True)
    last_result = models.TextField("итог последнего запуска", blank=True)
    last_error = models.TextField("последняя ошибка", blank=True)
    held_removals = models.PositiveIntegerField("удалений ждут подтверждения", default=0)
    approved_removals = models.PositiveIntegerField("подтверждено удалений", default=0)
    approved_by = models.CharField("кто подтвердил", max_length=150, blank=True)
    version = models.CharField(
        "версия журнала при последней синхронизации",
        max_length=200,
        blank=True,
        help_text="Пока она та же и изменений не было, сверка всех школ пропускает школу.",
    )

    class Meta:
        verbose_name = "синхронизация школы"
        verbose_name_plural = "синхронизация чатов: школы"
        ordering = ["name", "school_id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.name or f"школа #{self.school_id}"

    @property
    def dirty(self) -> bool:
        return self.dirty_seq > self.done_seq


class SyncGroup(models.Model):
    """A managed chat as last applied on the platform."""

    school_id = models.BigIntegerField("школа (id в журнале)", db_index=True)
    org_ref = models.CharField("организация", max_length=64)
    group_ref = models.CharField("группа", max_length=200)
    kind = models.CharField("вид", max_length=8)
    title = models.CharField("название", max_length=200)
    subject = models.CharField("предмет", max_length=200, blank=True)
    archived = models.BooleanField("в архиве", default=False)
    chat_id = models.BigIntegerField("чат на платформе", null=True, blank=True)
    updated_at = models.DateTimeField("обновлена", default=timezone.now)

    class Meta:
        verbose_name = "чат (применённое состояние)"
        verbose_name_plural = "синхронизация чатов: чаты"
        ordering = ["org_ref", "group_ref"]
        constraints = [
            models.UniqueConstraint(fields=["org_ref", "group_ref"], name="one_sync_group_per_ref")
        ]

    def __str__(self) -> str:
        return self.title


class SyncMember(models.Model):
    """A member of a managed chat as last applied: the profile ``sub`` and whether an admin."""

    # No database constraint and no index of its own (the unique (group, sub) serves lookups by group):
    # PostgreSQL checks a foreign key row by row at commit with a plan it made once per connection — on
    # a fresh ledger that plan scans the table, and an initial sync's commits grew to 0.7 s each
    # (bench/RESULTS.md). Rows are written only with their group, in one transaction (actions/sync.py),
    # and deleting a group deletes its members through Django's collector, as ``CASCADE`` says.
    group = models.ForeignKey(
        SyncGroup,
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name="чат",
        db_constraint=False,
        db_index=False,
    )
    sub = models.CharField("учебный профиль (sub)", max_length=64)
    account_id = models.BigIntegerField("учётная запись журнала")
    person_id = models.BigIntegerField("человек в журнале", null=True, blank=True)
    admin = models.BooleanField("администратор", default=False)

    class Meta:
        verbose_name = "участник чата (применённое состояние)"
        verbose_name_plural = "синхронизация чатов: участники"
        constraints = [models.UniqueConstraint(fields=["group", "sub"], name="one_sync_member_per_group")]
        indexes = [models.Index(fields=["account_id"])]

    def __str__(self) -> str:
        return f"{self.sub} в {self.group_id}"


class SyncReason(models.TextChoices):
    ENROLLED = "enrolled", "зачислен"
    EXPELLED = "expelled", "отчислен"
    GRADUATED = "graduated", "выпуск"
    RESTORED = "restored", "восстановлен из реестра"
    RESTORE_CANCELLED = "restore_cancelled", "восстановление отменено"
    TRANSFERRED = "transferred", "переведён в другой класс"
    LINKED = "linked", "привязал учебный профиль"
    UNLINKED = "unlinked", "отвязал учебный профиль"
    CLASS_TEACHER = "class_teacher", "новый классный руководитель"
    HIRED = "hired", "принят в школу"
    STAFF_LEFT = "staff_left", "больше не работает в школе"
    CHAT_CLOSED = "chat_closed", "чат закрыт (класс выпущен или закрыт)"
    MANUAL = "manual", "сверка по запросу оператора"


class SyncChangeKind(models.TextChoices):
    ADDED = "added", "добавлен"
    REMOVED = "removed", "удалён"
    ADMIN_GRANTED = "admin_granted", "назначен администратором"
    ADMIN_REVOKED = "admin_revoked", "снят с администраторов"


class SyncChange(models.Model):
    """One applied membership change: «кто, куда, почему»."""

    created_at = models.DateTimeField("когда", default=timezone.now, db_index=True)
    school_id = models.BigIntegerField("школа (id в журнале)", db_index=True)
    group_ref = models.CharField("группа", max_length=200)
    group_title = models.CharField("чат", max_length=200)
    account_id = models.BigIntegerField("учётная запись журнала", db_index=True)
    sub = models.CharField("учебный профиль (sub)", max_length=64)
    change = models.CharField("изменение", max_length=16, choices=SyncChangeKind.choices)
    reason = models.CharField("почему", max_length=20, choices=SyncReason.choices)

    class Meta:
        verbose_name = "изменение состава чата"
        verbose_name_plural = "синхронизация чатов: история «кто, куда, почему»"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["group_ref", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_change_display()}: {self.account_id} → {self.group_title}"


class SyncCursor(models.Model):
    """How far the outbox of the journal has been read (one row, ``name="outbox"``)."""

    name = models.CharField(max_length=32, unique=True)
    last_id = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "курсор событий журнала"
        verbose_name_plural = "курсоры событий журнала"

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"


class SyncConference(models.Model):
    """A lesson's conference as last applied on the platform (``PUT …/conferences/{conf_ref}``)."""

    school_id = models.BigIntegerField("школа (id в журнале)", db_index=True)
    org_ref = models.CharField("организация", max_length=64)
    conf_ref = models.CharField("видеоконференция", max_length=200)
    lesson_id = models.BigIntegerField("урок (id в журнале)")
    group_ref = models.CharField("группа", max_length=200)
    title = models.CharField("название", max_length=200)
    starts_at = models.DateTimeField("начало")
    ends_at = models.DateTimeField("окончание")
    organizer = models.CharField("организатор (sub)", max_length=64, blank=True)
    updated_at = models.DateTimeField("обновлена", default=timezone.now)
    # The platform's answer when it refused this conference for good (a 4xx): the school's run goes on,
    # and the conference is asked for again only when the lesson changes or after
    # PARTA_SYNC_CONFERENCE_RETRY_SECONDS (the reason, e.g. a teacher not linked yet, may be gone).
    refused = models.TextField("отказ платформы", blank=True)

    class Meta:
        verbose_name = "видеоконференция урока (применённое состояние)"
        verbose_name_plural = "синхронизация чатов: видеоконференции уроков"
        ordering = ["org_ref", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["org_ref", "conf_ref"], name="one_sync_conference_per_ref")
        ]

    def __str__(self) -> str:
        return self.title
