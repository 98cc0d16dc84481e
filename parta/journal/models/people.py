"""People, their journal accounts, guardianship and staff assignments (OneRoster ``users``)."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from parta.journal.models.orgs import School, new_sourced_id, sourced_id_unique


class Gender(models.TextChoices):
    MALE = "male", "мужской"
    FEMALE = "female", "женский"


class Person(models.Model):
    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    last_name = models.CharField("фамилия", max_length=100)
    first_name = models.CharField("имя", max_length=100)
    middle_name = models.CharField("отчество", max_length=100, blank=True)
    birth_date = models.DateField("дата рождения", null=True, blank=True)
    gender = models.CharField("пол", max_length=6, choices=Gender.choices, blank=True)
    phone = models.CharField("телефон", max_length=16, blank=True, help_text="В формате +79XXXXXXXXX.")
    email = models.EmailField("эл. почта", blank=True)

    class Meta:
        verbose_name = "человек"
        verbose_name_plural = "люди"
        ordering = ["last_name", "first_name", "middle_name"]
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [sourced_id_unique("person")]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.last_name, self.first_name, self.middle_name) if part)

    @property
    def short_name(self) -> str:
        initials = " ".join(f"{part[0]}." for part in (self.first_name, self.middle_name) if part)
        return f"{self.last_name} {initials}".strip()


class AccountManager(BaseUserManager["Account"]):
    def create_user(self, username: str, password: str | None = None, **extra: object) -> Account:
        account = self.model(username=username, **extra)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, username: str, password: str | None = None, **extra: object) -> Account:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(username, password, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    """A journal login. Its roles come from its person: teaching, guardianship, enrolment."""

    username = models.CharField("имя пользователя", max_length=150, unique=True)
    person = models.OneToOneField(
        Person,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="account",
        verbose_name="человек",
    )
    is_staff = models.BooleanField("доступ к администрированию", default=False)
    is_active = models.BooleanField("активна", default=True)
    date_joined = models.DateTimeField("создана", default=timezone.now)

    objects = AccountManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "учётная запись"
        verbose_name_plural = "учётные записи"

    def __str__(self) -> str:
        return self.username


class LoginThrottle(models.Model):
    """Wrong passwords per login name, kept in the database so every server process sees them."""

    key = models.CharField(max_length=190, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True)
    locked_until = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "попытки входа"
        verbose_name_plural = "попытки входа"

    def __str__(self) -> str:
        return f"{self.key}: {self.failures}"


class GuardianKind(models.TextChoices):
    PARENT = "parent", "родитель"
    LEGAL = "guardian", "законный представитель"


class Guardianship(models.Model):
    guardian = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="wards", verbose_name="родитель"
    )
    student = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="guardians", verbose_name="ученик"
    )
    kind = models.CharField(
        "кем приходится", max_length=10, choices=GuardianKind.choices, default=GuardianKind.PARENT
    )

    class Meta:
        verbose_name = "родитель или законный представитель"
        verbose_name_plural = "родители и законные представители"
        constraints = [
            models.UniqueConstraint(fields=["guardian", "student"], name="one_guardianship_per_pair")
        ]
        indexes = [models.Index(fields=["student"])]

    def __str__(self) -> str:
        return f"{self.guardian} → {self.student}"


class StaffRole(models.TextChoices):
    TEACHER = "teacher", "учитель"
    ADMINISTRATOR = "administrator", "администратор"


class StaffAssignment(models.Model):
    """A person working at a school; ``ends_on`` set means they have left."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="staff_assignments", verbose_name="сотрудник"
    )
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="staff", verbose_name="школа")
    role = models.CharField("должность", max_length=16, choices=StaffRole.choices, default=StaffRole.TEACHER)
    begins_on = models.DateField("с", default=timezone.localdate)
    ends_on = models.DateField("по", null=True, blank=True)

    class Meta:
        verbose_name = "назначение сотрудника"
        verbose_name_plural = "сотрудники школы"
        constraints = [
            models.UniqueConstraint(
                fields=["person", "school", "role"],
                condition=Q(ends_on__isnull=True),
                name="one_active_staff_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()}, {self.school}"
