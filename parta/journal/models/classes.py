"""Classes, their cohorts, subjects and enrolments (OneRoster ``classes``, ``courses``, ``enrollments``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from parta.journal.models.orgs import AcademicYear, School, new_sourced_id, sourced_id_unique
from parta.journal.models.people import Person


class Cohort(models.Model):
    """The identity of a class across years: «5А» in 2026/2027 and «6А» in 2027/2028 share one cohort.

    The chats on the platform follow the cohort, so a new school year renames a chat instead of making
    a new one.
    """

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="cohorts", verbose_name="школа")
    letter = models.CharField("литера", max_length=4)
    entry_year = models.PositiveSmallIntegerField("год поступления в 1 класс")

    class Meta:
        verbose_name = "параллель-поток"
        verbose_name_plural = "потоки классов"
        constraints = [
            sourced_id_unique("cohort"),
            models.UniqueConstraint(
                fields=["school", "entry_year", "letter"], name="one_cohort_per_entry_letter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.school}: поток {self.letter} ({self.entry_year})"


class SchoolClass(models.Model):
    """«5А» of one school in one year."""

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    # No single-column indexes on the school, the year and the cohort: the unique (school, year, grade,
    # letter) and (cohort, year) below begin with them. An index on the year alone (a handful of values)
    # only tempted PostgreSQL, whose statistics had not seen a new year's classes yet, into walking every
    # class of that year for one school's (bench/RESULTS.md, the rollover at 1,000,000 students).
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="classes", verbose_name="школа", db_index=False
    )
    year = models.ForeignKey(
        AcademicYear,
        on_delete=models.PROTECT,
        related_name="classes",
        verbose_name="учебный год",
        db_index=False,
    )
    cohort = models.ForeignKey(
        Cohort, on_delete=models.PROTECT, related_name="classes", verbose_name="поток", db_index=False
    )
    grade = models.PositiveSmallIntegerField("класс (параллель)")
    letter = models.CharField("литера", max_length=4)
    class_teacher = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="homerooms",
        verbose_name="классный руководитель",
    )

    class Meta:
        verbose_name = "класс"
        verbose_name_plural = "классы"
        ordering = ["grade", "letter"]
        constraints = [
            sourced_id_unique("schoolclass"),
            models.UniqueConstraint(
                fields=["school", "year", "grade", "letter"], name="one_class_per_name_per_year"
            ),
            models.UniqueConstraint(fields=["cohort", "year"], name="one_class_per_cohort_per_year"),
            models.CheckConstraint(condition=Q(grade__gte=1) & Q(grade__lte=11), name="grade_1_to_11"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return f"{self.grade}{self.letter}"


class Subject(models.Model):
    """A subject taught in the region (OneRoster ``courses`` are a subject per school and year)."""

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    name = models.CharField("название", max_length=120, unique=True)
    code = models.CharField("код", max_length=32, blank=True)

    class Meta:
        verbose_name = "предмет"
        verbose_name_plural = "предметы"
        ordering = ["name"]
        constraints = [sourced_id_unique("subject")]

    def __str__(self) -> str:
        return self.name


class TeachingAssignment(models.Model):
    """Who teaches a subject in a class: a subject teacher's staff assignment."""

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    # No index of its own: the unique (school_class, subject) below begins with it.
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="teaching", verbose_name="класс", db_index=False
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, related_name="teaching", verbose_name="предмет"
    )
    teacher = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="teaching", verbose_name="учитель"
    )

    class Meta:
        verbose_name = "преподавание предмета"
        verbose_name_plural = "преподавание предметов"
        constraints = [
            sourced_id_unique("teachingassignment"),
            models.UniqueConstraint(fields=["school_class", "subject"], name="one_teacher_per_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class}: {self.subject} — {self.teacher}"


class EndReason(models.TextChoices):
    PROMOTED = "promoted", "переведён в следующий класс"
    GRADUATED = "graduated", "выпуск"
    EXPELLED = "expelled", "отчислен"
    TRANSFERRED = "transferred", "переведён в другой класс"
    RESTORE_CANCELLED = "restore_cancelled", "восстановление отменено"


class Enrolment(models.Model):
    """A student in a class; open while ``ends_on`` is empty."""

    sourced_id = models.CharField("sourcedId", max_length=64, default=new_sourced_id)  # unique: Meta
    # No index of their own: (student, ends_on) and (school_class, ends_on) below begin with them. Every
    # index is work on each of the year rollover's million moves (bench/RESULTS.md).
    student = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="enrolments", verbose_name="ученик", db_index=False
    )
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.CASCADE, related_name="enrolments", verbose_name="класс", db_index=False
    )
    begins_on = models.DateField("зачислен")
    ends_on = models.DateField("выбыл", null=True, blank=True)
    end_reason = models.CharField("причина выбытия", max_length=20, choices=EndReason.choices, blank=True)

    class Meta:
        verbose_name = "зачисление"
        verbose_name_plural = "зачисления"
        constraints = [
            sourced_id_unique("enrolment"),
            models.UniqueConstraint(
                fields=["student", "school_class"],
                condition=Q(ends_on__isnull=True),
                name="one_open_enrolment_per_class",
            ),
        ]
        indexes = [
            models.Index(fields=["school_class", "ends_on"]),
            models.Index(fields=["student", "ends_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.student} — {self.school_class}"


class RegistryReason(models.TextChoices):
    GRADUATED = "graduated", "выпускник"
    EXPELLED = "expelled", "отчислен"


class RegistryStatus(models.TextChoices):
    IN_REGISTRY = "in_registry", "в реестре"
    RESTORED = "restored", "восстановлен"


class RegistryEntry(models.Model):
    """A student in «Выпускники и отчисленные»: graduated or expelled, perhaps restored since."""

    student = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="registry_entries", verbose_name="ученик"
    )
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, related_name="registry", verbose_name="школа"
    )
    school_class = models.ForeignKey(
        SchoolClass, on_delete=models.PROTECT, related_name="registry_entries", verbose_name="последний класс"
    )
    reason = models.CharField("основание", max_length=12, choices=RegistryReason.choices)
    status = models.CharField(
        "состояние", max_length=12, choices=RegistryStatus.choices, default=RegistryStatus.IN_REGISTRY
    )
    left_on = models.DateField("дата выбытия")
    restore_enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="зачисление при восстановлении",
    )

    class Meta:
        verbose_name = "запись реестра «Выпускники и отчисленные»"
        verbose_name_plural = "выпускники и отчисленные"
        ordering = ["-left_on"]
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class"], name="one_registry_entry_per_class"),
        ]

    def __str__(self) -> str:
        return f"{self.student} ({self.get_reason_display()}, {self.school_class})"
