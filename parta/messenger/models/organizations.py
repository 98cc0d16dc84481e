"""Schools on the platform and who belongs to them.

An :class:`Organization` is a school as one journal registered it: the journal (an
``identity.JournalClient``) names it by its own reference, so two journals never collide and a journal
never sees another's schools. A :class:`Membership` is the verified link of an educational profile to
an organization with its roles; only the journal that registered the organization sets it (through
API v1, which calls :func:`parta.messenger.actions.membership_set`).

Visibility follows membership: a profile is seen only by members of an organization it belongs to.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Organization(models.Model):
    client = models.ForeignKey(
        "identity.JournalClient",
        on_delete=models.PROTECT,
        related_name="organizations",
        verbose_name="журнал",
    )
    ref = models.CharField(
        "идентификатор в журнале", max_length=200, help_text="Как школу называет сам журнал (org_ref)."
    )
    name = models.CharField("название", max_length=300)
    created_at = models.DateTimeField("зарегистрирована", default=timezone.now)
    updated_at = models.DateTimeField("изменена", default=timezone.now)

    class Meta:
        verbose_name = "организация"
        verbose_name_plural = "организации"
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["client", "ref"], name="messenger_org_one_per_client_ref")
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """The roles a profile holds in an organization (a set: a teacher may also be a parent)."""

    STUDENT = "student", "ученик"
    PARENT = "parent", "родитель"
    TEACHER = "teacher", "учитель"
    STAFF = "staff", "сотрудник"


# The order roles are shown in.
ROLE_ORDER = (Role.TEACHER, Role.STAFF, Role.PARENT, Role.STUDENT)


class Membership(models.Model):
    """A verified membership: one row per (organization, profile), its roles as four flags.

    Flags rather than a list keep "who may create chats here" and "is this person only a student" plain,
    indexable SQL on SQLite and PostgreSQL alike. Written only by
    :func:`parta.messenger.actions.membership_set`.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships", verbose_name="организация"
    )
    profile = models.ForeignKey(
        "identity.EducationalProfile",
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name="учебный профиль",
    )
    is_student = models.BooleanField("ученик", default=False)
    is_parent = models.BooleanField("родитель", default=False)
    is_teacher = models.BooleanField("учитель", default=False)
    is_staff = models.BooleanField("сотрудник", default=False)
    created_at = models.DateTimeField("подтверждено", default=timezone.now)
    updated_at = models.DateTimeField("изменено", default=timezone.now)

    class Meta:
        verbose_name = "участник организации"
        verbose_name_plural = "участники организаций"
        ordering = ["organization", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "profile"], name="messenger_one_membership"),
            models.CheckConstraint(
                condition=models.Q(is_student=True)
                | models.Q(is_parent=True)
                | models.Q(is_teacher=True)
                | models.Q(is_staff=True),
                name="messenger_membership_has_a_role",
            ),
        ]
        indexes = [models.Index(fields=["profile", "organization"], name="messenger_membership_profile")]

    def __str__(self) -> str:
        return f"{self.profile_id} в {self.organization_id}: {', '.join(self.role_labels)}"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(role for role in Role if getattr(self, f"is_{role.value}"))

    @property
    def role_labels(self) -> list[str]:
        return [str(role.label) for role in ROLE_ORDER if role in self.roles]

    @property
    def may_create_chats(self) -> bool:
        """Teachers and staff create «Другое» chats."""
        return self.is_teacher or self.is_staff
