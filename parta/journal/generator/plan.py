"""The plan of a generated region, made in memory one school at a time.

Everything comes from ``random.Random`` instances seeded with strings built from the seed (Python hashes
string seeds with SHA-512, so they do not depend on ``PYTHONHASHSEED``): the same seed, the same size
and the same ``today`` give the same schools, people, phones and lessons. Each school has a generator
of its own, so a school's plan does not depend on how the others are chunked or written.

Row ids are given here, in plan order, from the bases the caller passes (``max(id) + 1`` of each table),
because rows refer to each other before any of them is written.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from parta.journal.generator import names

# --- presets -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    name: str
    students: int
    schools: int | None  # a fixed number of schools, or None: as many as the students fill
    region_name: str
    lesson_share: float  # the share of schools whose classes get lessons (the first school always does)
    demo: bool = False


PRESETS: dict[str, Preset] = {
    "demo": Preset("demo", 1_500, 3, "Новоречинский городской округ", 1.0, demo=True),
    "school": Preset("school", 900, 1, "Новоречинский городской округ", 1.0),
    "city": Preset("city", 100_000, None, "Городской округ Новоречинск", 1.0),
    "region": Preset("region", 1_000_000, None, "Новоречинская область", 0.1),
}

START_YEAR = 2026
LETTERS = "АБВГ"
WEEKS = 2  # lessons for the week of ``today`` and the next one
ONLINE_SHARE = 0.05
TEACHER_PARENT_SHARE = 0.12  # of the teachers who are also parents of pupils of their school

# The demo's first school: two or three letters in every grade, so 2Б and 5А exist.
DEMO_LAYOUT: tuple[tuple[int, str], ...] = tuple(
    (grade, letter)
    for grade, letters in (
        (1, "АБВ"), (2, "АБ"), (3, "АБ"), (4, "АБВ"), (5, "АБВ"), (6, "АБ"),
        (7, "АБ"), (8, "АБ"), (9, "АБ"), (10, "АБ"), (11, "А"),
    )
    for letter in letters
)  # fmt: skip

# The stable demo people of the first school (see docs/generator.md).
DEMO_USERNAMES = ("teacher", "parent", "student", "admin")


# --- people ------------------------------------------------------------------------------------------

MALE = "male"
FEMALE = "female"


class PersonPlan:
    """A person of the plan; ``username`` is set for the demo logins, others get ``u<id>``."""

    __slots__ = (
        "birth",
        "email",
        "first",
        "gender",
        "id",
        "last",
        "middle",
        "phone",
        "superuser",
        "username",
    )

    def __init__(
        self,
        pid: int,
        last: str,
        first: str,
        middle: str,
        gender: str,
        birth: dt.date,
        phone: str = "",
        email: str = "",
    ) -> None:
        self.id = pid
        self.last = last
        self.first = first
        self.middle = middle
        self.gender = gender
        self.birth = birth
        self.phone = phone
        self.email = email
        self.username = ""
        self.superuser = False

    @property
    def full_name(self) -> str:
        return f"{self.last} {self.first} {self.middle}".strip()


# (date, number, class id, subject, teacher id, room, topic, homework, online)
Lesson = tuple[dt.date, int, int, str, int, str, str, str, bool]


@dataclass
class ClassPlan:
    id: int
    cohort_id: int
    entry_year: int
    grade: int
    letter: str
    size: int
    students: list[PersonPlan] = field(default_factory=list)
    teachers: dict[str, PersonPlan] = field(default_factory=dict)  # subject → teacher
    class_teacher: PersonPlan | None = None

    @property
    def title(self) -> str:
        return f"{self.grade}{self.letter}"


@dataclass
class SchoolPlan:
    index: int
    id: int
    number: int
    name: str
    short_name: str
    identifier: str
    classes: list[ClassPlan]
    people: list[PersonPlan] = field(default_factory=list)
    guardianships: list[tuple[int, int]] = field(default_factory=list)  # (guardian, student)
    staff: list[tuple[int, str, dt.date]] = field(default_factory=list)  # (person, role, since)
    lessons: list[Lesson] = field(default_factory=list)
    timetable_conflicts: int = 0

    @property
    def students(self) -> int:
        return sum(len(school_class.students) for school_class in self.classes)


# --- ids and identifiers ----------------------------------------------------------------------------

TABLES = (
    "region",
    "school",
    "cohort",
    "person",
    "schoolclass",
    "account",
    "staffassignment",
    "teachingassignment",
    "enrolment",
    "guardianship",
    "lesson",
)
TABLE_CODES = {name: number for number, name in enumerate(TABLES, start=1)}


class Ids:
    """The next id of every table; :meth:`take` hands them out in plan order."""

    def __init__(self, first: dict[str, int] | None = None) -> None:
        self.next = dict.fromkeys(TABLES, 1)
        self.next.update(first or {})

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value

    def block(self, table: str, count: int) -> range:
        start = self.next[table]
        self.next[table] = start + count
        return range(start, start + count)


_MASK64 = (1 << 64) - 1


def _mix(value: int) -> int:
    """splitmix64: a cheap, well-spread bijection of 64-bit integers."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def seed_key(seed: int) -> int:
    return _mix(seed & _MASK64)


def sourced_id(key: int, table: str, row_id: int) -> str:
    """A UUIDv8 (RFC 9562): the row id in the top 48 bits, the table in the next 12, seeded bits below.

    Unique because ids are, repeatable for a seed, and growing with the id — a B-tree index takes them
    at its right edge instead of at random pages, which keeps a bulk load fast.
    """
    code = TABLE_CODES[table]
    bits = _mix(key ^ (code << 52) ^ row_id) >> 2
    return (
        f"{row_id >> 16:08x}-{row_id & 0xFFFF:04x}-8{code:03x}-{0x8000 | (bits >> 48):04x}-"
        f"{bits & 0xFFFFFFFFFFFF:012x}"
    )


# Mobile codes of Russian operators; 930 and 940 are left out (not wholly Russian mobile ranges).
MOBILE_CODES: tuple[int, ...] = (
    *range(900, 930),
    *range(931, 940),
    *range(950, 970),
    *range(977, 990),
    *range(991, 1000),
)
_PHONE_SPACE = len(MOBILE_CODES) * 10_000_000
_PHONE_STEP = 2_654_435_761  # a prime, coprime with the size of the space: the map below is a permutation
_PHONE_OFFSET = 123_456_791


def phone_for(person_id: int) -> str:
    """``+79XXXXXXXXX``, a different number for every person id (an affine permutation of the space)."""
    value = (person_id * _PHONE_STEP + _PHONE_OFFSET) % _PHONE_SPACE
    code, rest = divmod(value, 10_000_000)
    return f"+7{MOBILE_CODES[code]}{rest:07d}"


if math.gcd(_PHONE_STEP, _PHONE_SPACE) != 1:  # pragma: no cover -- a guard for whoever edits the codes
    raise RuntimeError("the phone step must be coprime with the number space")


# --- random helpers ----------------------------------------------------------------------------------


def _expand(weighted: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    return tuple(itertools.chain.from_iterable([name] * weight for name, weight in weighted))


_MEN = _expand(names.MEN)
_WOMEN = _expand(names.WOMEN)
_BOYS = _expand(names.BOYS)
_GIRLS = _expand(names.GIRLS)
_GRANDFATHERS = _expand(names.GRANDFATHERS)
_SURNAMES = _expand(
    [(surname, max(1, round(60 / (rank + 1) ** 0.6))) for rank, surname in enumerate(names.SURNAMES)]
)
_FEMININE = {surname: names.feminine(surname) for surname in names.SURNAMES}
_SCHOOL_KINDS = [(full, short) for full, short, weight in names.SCHOOL_KINDS for _ in range(weight)]
_BELLS = tuple((dt.time.fromisoformat(start), dt.time.fromisoformat(end)) for start, end in names.BELLS)


def _pick(rng: random.Random, items: Sequence[str]) -> str:
    return items[int(rng.random() * len(items))]


def _day(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)


# --- the layout of schools ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolLayout:
    index: int
    number: int
    classes: tuple[tuple[int, str, int], ...]  # (grade, letter, size)
    lessons: bool

    @property
    def students(self) -> int:
        return sum(size for _, _, size in self.classes)


def _spread(total: int, count: int, rng: random.Random) -> list[int]:
    """``count`` class sizes of about equal weight (±20 %) that add up to ``total`` exactly."""
    if count == 0:
        return []
    weights = [0.8 + 0.4 * rng.random() for _ in range(count)]
    scale = total / sum(weights)
    sizes = [int(weight * scale) for weight in weights]
    for position in range(total - sum(sizes)):
        sizes[position % count] += 1
    return sizes


def _letters_for(base: int, rng: random.Random) -> list[tuple[int, str]]:
    pairs: list[tuple[int, str]] = []
    for grade in range(1, 12):
        count = base
        if rng.random() < 0.3:
            count += 1 if rng.random() < 0.5 else -1
        count = max(2, min(4, count))
        pairs.extend((grade, LETTERS[position]) for position in range(count))
    return pairs


def school_layouts(preset: Preset, students: int, seed: int) -> Iterator[SchoolLayout]:
    """The schools of the region, with their classes and class sizes, adding up to ``students``."""
    rng = random.Random(f"parta:{seed}:layout")
    number = 1

    def next_number() -> int:
        nonlocal number
        current = number
        number += 1 + (rng.randrange(1, 4) if rng.random() < 0.3 else 0)
        return current

    if preset.schools is not None:
        remaining = students
        first_fixed = preset.demo
        for index in range(preset.schools):
            if index == 0 and first_fixed:
                sizes = [rng.randrange(20, 29) for _ in DEMO_LAYOUT]
                classes = tuple((g, letter, s) for (g, letter), s in zip(DEMO_LAYOUT, sizes, strict=True))
            else:
                left = preset.schools - index
                target = max(0, remaining) // left
                if target == 0 and index > 0:
                    continue  # the students are used up: no empty schools
                base = max(2, min(4, round(target / (11 * 25))))
                pairs = _letters_for(base, rng)
                sizes = _spread(target, len(pairs), rng)
                classes = tuple((g, letter, s) for (g, letter), s in zip(pairs, sizes, strict=True))
            layout = SchoolLayout(index, next_number(), classes, lessons=True)
            remaining -= layout.students
            yield layout
        return

    planned = 0
    index = 0
    while planned < students:
        roll = rng.random()
        base = 2 if roll < 0.35 else 3 if roll < 0.8 else 4
        pairs = _letters_for(base, rng)
        sizes = [rng.randrange(20, 31) for _ in pairs]
        if planned + sum(sizes) >= students:
            sizes = _spread(students - planned, len(pairs), rng)
        lessons = index == 0 or rng.random() < preset.lesson_share
        classes = tuple((g, letter, s) for (g, letter), s in zip(pairs, sizes, strict=True))
        layout = SchoolLayout(index, next_number(), classes, lessons)
        planned += layout.students
        index += 1
        yield layout


# --- one school --------------------------------------------------------------------------------------


@dataclass
class _Family:
    surname: str
    father_first: str
    mother: PersonPlan | None
    father: PersonPlan | None
    children: list[PersonPlan]
    pinned: bool = False


class _Group:
    """The lessons of one subject a class still needs this week."""

    __slots__ = ("left", "subject", "teacher")

    def __init__(self, subject: str, teacher: PersonPlan, left: int) -> None:
        self.subject = subject
        self.teacher = teacher
        self.left = left


class _Slot:
    __slots__ = ("day", "group", "number")

    def __init__(self, day: int, number: int, group: _Group) -> None:
        self.day = day
        self.number = number
        self.group = group


def _swap(
    placed: list[_Slot], groups: list[_Group], busy: set[tuple[int, int, int]], day: int, number: int
) -> _Group | None:
    """Move an earlier lesson to (day, number) and a waiting one into its slot, if both teachers are free."""
    for slot in placed:
        moved = slot.group
        if (moved.teacher.id, day, number) in busy:
            continue
        for group in groups:
            if group.left == 0 or (group.teacher.id, slot.day, slot.number) in busy:
                continue
            busy.discard((moved.teacher.id, slot.day, slot.number))
            busy.add((group.teacher.id, slot.day, slot.number))
            group.left -= 1
            moved.left += 1
            slot.group = group
            return moved
    return None


class SchoolPlanner:
    """Plans one school: people, families, staff, classes, subjects taught and the weeks' lessons."""

    def __init__(
        self,
        *,
        layout: SchoolLayout,
        seed: int,
        ids: Ids,
        today: dt.date,
        demo: bool,
        start_year: int = START_YEAR,
    ) -> None:
        self.layout = layout
        self.rng = random.Random(f"parta:{seed}:school:{layout.index}")
        self.ids = ids
        self.today = today
        self.demo = demo and layout.index == 0
        self.start_year = start_year
        self.year_start = dt.date(start_year, 9, 1)
        self.people: list[PersonPlan] = []
        self.families: list[_Family] = []
        self.staff: list[tuple[int, str, dt.date]] = []
        self.guardianships: list[tuple[int, int]] = []
        self.teachers: list[PersonPlan] = []
        self.teacher_ids: set[int] = set()
        self.rooms: dict[int, str] = {}
        self._primary_rooms = [f"{floor}{room:02d}" for floor in (2, 1) for room in range(20, 0, -1)]
        self._subject_rooms = [
            f"{floor}{room:02d}"
            for floor, rooms in ((4, 30), (3, 30), (2, 40))
            for room in range(rooms, 20 if floor == 2 else 0, -1)
        ]
        self.pinned: dict[str, PersonPlan] = {}

    # people -------------------------------------------------------------------------------------

    def _person(
        self, last: str, first: str, middle: str, gender: str, birth: dt.date, *, phone: bool, email: float
    ) -> PersonPlan:
        person = PersonPlan(self.ids.take("person"), last, first, middle, gender, birth)
        if phone:
            person.phone = phone_for(person.id)
        if email and self.rng.random() < email:
            person.email = self._email(first, last, birth)
        self.people.append(person)
        return person

    def _email(self, first: str, last: str, birth: dt.date) -> str:
        rng = self.rng
        login = f"{names.translit(first)}.{names.translit(last)}"
        roll = rng.random()
        if roll < 0.4:
            login += str(birth.year)
        elif roll < 0.7:
            login += str(rng.randrange(1, 100))
        return f"{login}@{names.EMAIL_DOMAINS[int(rng.random() * len(names.EMAIL_DOMAINS))]}"

    def _adult(
        self, gender: str, *, born_from: int, born_to: int, surname: str | None = None, email: float = 0.5
    ) -> PersonPlan:
        rng = self.rng
        surname = surname or _pick(rng, _SURNAMES)
        patronymics = names.PATRONYMICS[_pick(rng, _GRANDFATHERS)]
        start = dt.date(born_from, 1, 1).toordinal()
        birth = _day(start + rng.randrange(dt.date(born_to, 12, 31).toordinal() - start))
        if gender == FEMALE:
            return self._person(
                _FEMININE.get(surname, surname), _pick(rng, _WOMEN), patronymics[1], FEMALE, birth,
                phone=True, email=email,
            )  # fmt: skip
        return self._person(surname, _pick(rng, _MEN), patronymics[0], MALE, birth, phone=True, email=email)

    def _child_birth(self, grade: int) -> dt.date:
        entry_year = self.start_year - grade + 1
        start = dt.date(entry_year - 7, 3, 1).toordinal()  # 6½–7½ years old on 1 September
        if self.rng.random() < 0.08:
            start -= 182  # went to school half a year later: 7–8
        return _day(start + self.rng.randrange(365))

    def _family(self, classes: list[ClassPlan]) -> _Family:
        rng = self.rng
        surname = _pick(rng, _SURNAMES)
        father_first = _pick(rng, _MEN)
        sons, daughters = names.PATRONYMICS[father_first]
        children = []
        for school_class in classes:
            birth = self._child_birth(school_class.grade)
            roll = rng.random()
            has_phone = roll < (0.85 if school_class.grade >= 5 else 0.25 if school_class.grade >= 2 else 0.1)
            if rng.random() < 0.5:
                child = self._person(surname, _pick(rng, _BOYS), sons, MALE, birth, phone=has_phone, email=0)
            else:
                child = self._person(
                    _FEMININE.get(surname, surname), _pick(rng, _GIRLS), daughters, FEMALE, birth,
                    phone=has_phone, email=0,
                )  # fmt: skip
            school_class.students.append(child)
            children.append(child)
        eldest = min(child.birth for child in children).toordinal()
        roll = rng.random()
        mother = father = None
        if roll < 0.92:  # the mother is in the journal
            birth = _day(eldest - rng.randrange(20 * 365, 41 * 365))
            maiden = rng.random() < 0.07
            last = _FEMININE.get(_pick(rng, _SURNAMES), "") if maiden else _FEMININE.get(surname, surname)
            mother = self._person(
                last or _FEMININE.get(surname, surname), _pick(rng, _WOMEN),
                names.PATRONYMICS[_pick(rng, _GRANDFATHERS)][1], FEMALE, birth, phone=True, email=0.35,
            )  # fmt: skip
        if roll < 0.62 or roll >= 0.92:  # the father is in the journal
            base = mother.birth.toordinal() if mother else eldest - rng.randrange(22 * 365, 42 * 365)
            birth = _day(base - rng.randrange(-3 * 365, 9 * 365))
            father = self._person(
                surname, father_first, names.PATRONYMICS[_pick(rng, _GRANDFATHERS)][0], MALE, birth,
                phone=True, email=0.3,
            )  # fmt: skip
        family = _Family(surname, father_first, mother, father, children)
        self.families.append(family)
        return family

    def _guardianships(self) -> None:
        for family in self.families:
            for parent in (family.mother, family.father):
                if parent is not None:
                    self.guardianships.extend((parent.id, child.id) for child in family.children)

    # the demo's stable people -------------------------------------------------------------------

    def _demo_people(self, by_title: dict[str, ClassPlan]) -> None:
        """Смирнова Анна Петровна (``teacher``) with her daughter in 2Б, the Кузнецовы (``parent``,
        ``student``) with their son in 5А, and Волкова Ирина Николаевна (``admin``)."""
        daughter = self._person(
            "Смирнова", "Мария", "Алексеевна", FEMALE, dt.date(2018, 11, 3), phone=False, email=0
        )
        teacher = self._person(
            "Смирнова", "Анна", "Петровна", FEMALE, dt.date(1986, 2, 17), phone=True, email=0
        )
        teacher.email = "a.smirnova@school1.example.ru"
        husband = self._person(
            "Смирнов", "Алексей", "Викторович", MALE, dt.date(1983, 4, 12), phone=True, email=0
        )
        by_title["2Б"].students.append(daughter)
        self.families.append(_Family("Смирнов", "Алексей", teacher, husband, [daughter], pinned=True))

        son = self._person(
            "Кузнецов", "Артём", "Дмитриевич", MALE, dt.date(2015, 10, 14), phone=True, email=0
        )
        mother = self._person(
            "Кузнецова", "Елена", "Сергеевна", FEMALE, dt.date(1988, 6, 9), phone=True, email=0
        )
        mother.email = "elena.kuznetsova88@mail.ru"
        father = self._person(
            "Кузнецов", "Дмитрий", "Олегович", MALE, dt.date(1986, 1, 23), phone=True, email=0
        )
        by_title["5А"].students.append(son)
        self.families.append(_Family("Кузнецов", "Дмитрий", mother, father, [son], pinned=True))

        admin = self._person(
            "Волкова", "Ирина", "Николаевна", FEMALE, dt.date(1972, 3, 30), phone=True, email=0
        )
        admin.email = "director@school1.example.ru"
        admin.superuser = True
        teacher.username, mother.username, son.username, admin.username = DEMO_USERNAMES
        self.pinned = {"teacher": teacher, "parent": mother, "student": son, "admin": admin}

    # staff --------------------------------------------------------------------------------------

    def _hire(self, person: PersonPlan, role: str) -> None:
        rng = self.rng
        earliest = max(1990, person.birth.year + 22)
        latest = self.start_year if role == "teacher" else self.start_year - 1
        since = dt.date(rng.randrange(earliest, max(earliest, latest) + 1), 9, 1)
        if since > self.today:
            since = self.year_start if self.year_start <= self.today else self.today
        self.staff.append((person.id, role, since))

    def _room(self, person: PersonPlan, *, primary: bool) -> None:
        """A room of one's own: primary classes on the 1st and 2nd floors, subjects on the 2nd to 4th."""
        pool = self._primary_rooms if primary else self._subject_rooms
        self.rooms[person.id] = pool.pop() if pool else ""

    def _new_teacher(self, female_share: float, parents: list[PersonPlan]) -> PersonPlan:
        rng = self.rng
        gender = FEMALE if rng.random() < female_share else MALE
        teacher = None
        if rng.random() < TEACHER_PARENT_SHARE:
            for _ in range(6):  # a parent of a pupil of this school who teaches here
                if not parents:
                    break
                candidate = parents.pop(int(rng.random() * len(parents)))
                if candidate.gender == gender and candidate.id not in self.teacher_ids:
                    teacher = candidate
                    break
        if teacher is None:
            teacher = self._adult(gender, born_from=1960, born_to=2001, email=0.7)
        self.teachers.append(teacher)
        self.teacher_ids.add(teacher.id)
        self._hire(teacher, "teacher")
        return teacher

    def _staff(self, classes: list[ClassPlan]) -> None:
        rng = self.rng
        parents = [
            parent
            for family in self.families
            if not family.pinned
            for parent in (family.mother, family.father)
            if parent is not None and parent.birth.year <= 2000
        ]
        pinned_teacher = self.pinned.get("teacher")
        # Grades 1–4: the class teacher teaches all but the specialists' subjects and has a room.
        for school_class in classes:
            if school_class.grade > 4:
                continue
            teacher = self._new_teacher(0.97, parents)
            self._room(teacher, primary=True)
            school_class.class_teacher = teacher
            for subject in names.CURRICULUM[school_class.grade]:
                if subject not in names.PRIMARY_SPECIALISTS:
                    school_class.teachers[subject] = teacher
        # Every other subject: classes in grade order, a teacher for each 18–27 hours a week.
        loads: dict[str, list[tuple[ClassPlan, list[str], int]]] = {}
        for school_class in classes:
            by_discipline: dict[str, list[str]] = {}
            for subject in names.CURRICULUM[school_class.grade]:
                if school_class.grade <= 4 and subject not in names.PRIMARY_SPECIALISTS:
                    continue
                by_discipline.setdefault(names.DISCIPLINES.get(subject, subject), []).append(subject)
            for discipline, subjects in by_discipline.items():
                hours = sum(names.CURRICULUM[school_class.grade][subject] for subject in subjects)
                loads.setdefault(discipline, []).append((school_class, subjects, hours))
        female_share = {"Физкультура": 0.45, "Информатика": 0.5, "Физика": 0.6, "ИЗО и технология": 0.55}
        for discipline in sorted(loads):
            chunk: list[tuple[ClassPlan, list[str], int]] = []
            limit = rng.randrange(18, 28)
            chunks = []
            for item in loads[discipline]:
                if chunk and sum(hours for _, _, hours in chunk) + item[2] > limit:
                    chunks.append(chunk)
                    chunk = []
                    limit = rng.randrange(18, 28)
                chunk.append(item)
            if chunk:
                chunks.append(chunk)
            for chunk in chunks:
                titles = {school_class.title for school_class, _, _ in chunk}
                if pinned_teacher is not None and discipline == "математика" and "5А" in titles:
                    teacher = pinned_teacher
                    self.teachers.append(teacher)
                    self.teacher_ids.add(teacher.id)
                    self._hire(teacher, "teacher")
                else:
                    teacher = self._new_teacher(female_share.get(discipline, 0.88), parents)
                self._room(teacher, primary=False)
                for school_class, subjects, _ in chunk:
                    for subject in subjects:
                        school_class.teachers[subject] = teacher
        # Class teachers of grades 5–11: one of the class's own teachers, each leads one class.
        leading = {school_class.class_teacher.id for school_class in classes if school_class.class_teacher}
        for school_class in classes:
            if school_class.grade <= 4:
                continue
            if pinned_teacher is not None and school_class.title == "5А":
                school_class.class_teacher = pinned_teacher
                leading.add(pinned_teacher.id)
        for school_class in classes:
            if school_class.grade <= 4 or school_class.class_teacher is not None:
                continue
            own = sorted(
                {teacher.id: teacher for teacher in school_class.teachers.values()}.values(), key=_by_id
            )
            free = [teacher for teacher in own if teacher.id not in leading]
            chosen = free[int(rng.random() * len(free))] if free else own[int(rng.random() * len(own))]
            school_class.class_teacher = chosen
            leading.add(chosen.id)
        # The administration: a director and one or two deputies.
        admin = self.pinned.get("admin")
        if admin is None:
            admin = self._adult(
                FEMALE if rng.random() < 0.75 else MALE, born_from=1962, born_to=1985, email=1
            )
        self._hire(admin, "administrator")
        for _ in range(1 + (rng.random() < 0.6)):
            deputy = self._adult(
                FEMALE if rng.random() < 0.8 else MALE, born_from=1965, born_to=1990, email=1
            )
            self._hire(deputy, "administrator")
            if rng.random() < 0.5:  # a deputy head who also teaches keeps a teacher's role
                self._hire(deputy, "teacher")

    # lessons ------------------------------------------------------------------------------------

    def _timetable(
        self, school_class: ClassPlan, busy: set[tuple[int, int, int]]
    ) -> tuple[list[tuple[int, int, str, PersonPlan]], int]:
        """One week of one class: (weekday, number, subject, teacher), each teacher in one place at a time.

        Greedy, slot by slot: the free teacher's subject with the most hours left wins, at most two lessons
        of a subject a day; when no teacher of the class is free, an earlier lesson is swapped into this
        slot. A lesson that still finds nobody free is kept and counted as a conflict.
        """
        rng = self.rng
        curriculum = names.CURRICULUM[school_class.grade]
        groups = [
            _Group(subject, school_class.teachers[subject], hours) for subject, hours in curriculum.items()
        ]
        total = sum(curriculum.values())
        sizes = [total // 5] * 5
        for day in rng.sample(range(5), total % 5):
            sizes[day] += 1
        placed: list[_Slot] = []
        per_day: dict[tuple[int, str], int] = {}
        conflicts = 0
        for day in range(5):
            for number in range(1, sizes[day] + 1):
                best: _Group | None = None
                for relax in (False, True):
                    best_score = -1e9
                    for group in groups:
                        if group.left == 0 or (group.teacher.id, day, number) in busy:
                            continue
                        today_count = per_day.get((day, group.subject), 0)
                        if today_count >= 2 and not relax:
                            continue
                        score = group.left - 3 * today_count + rng.random()
                        if score > best_score:
                            best, best_score = group, score
                    if best is not None:
                        break
                if best is None:
                    best = _swap(placed, groups, busy, day, number)
                if best is None:  # nobody is free: keep the lesson, its teacher has two at once
                    conflicts += 1
                    best = max(groups, key=lambda group: group.left)
                busy.add((best.teacher.id, day, number))
                best.left -= 1
                per_day[(day, best.subject)] = per_day.get((day, best.subject), 0) + 1
                placed.append(_Slot(day, number, best))
        return [(slot.day, slot.number, slot.group.subject, slot.group.teacher) for slot in placed], conflicts

    def _lessons(self, classes: list[ClassPlan], plan: SchoolPlan) -> None:
        rng = self.rng
        busy: set[tuple[int, int, int]] = set()
        monday = self.today - dt.timedelta(days=self.today.weekday())
        weeks_in = max(0, (monday - self.year_start).days // 7)
        for school_class in classes:
            week, conflicts = self._timetable(school_class, busy)
            plan.timetable_conflicts += conflicts
            week.sort(key=lambda lesson: (lesson[0], lesson[1]))
            curriculum = names.CURRICULUM[school_class.grade]
            for offset in range(WEEKS):
                seen: dict[str, int] = {}
                made: list[Lesson] = []
                for day, number, subject, teacher in week:
                    count = seen.get(subject, 0)
                    seen[subject] = count + 1
                    topics = names.topics(subject, school_class.grade)
                    first = names.topic_offset(subject, school_class.grade)
                    step = (weeks_in + offset) * curriculum[subject] + count
                    online = rng.random() < ONLINE_SHARE
                    room = (
                        "" if online else names.ROOM_OVERRIDES.get(subject) or self.rooms.get(teacher.id, "")
                    )
                    made.append(
                        (
                            monday + dt.timedelta(days=7 * offset + day),
                            number,
                            school_class.id,
                            subject,
                            teacher.id,
                            room,
                            topics[(first + step // 6) % len(topics)],
                            self._homework(subject),
                            online,
                        )
                    )
                if self.demo and school_class.title == "5А" and not any(lesson[8] for lesson in made):
                    at = int(rng.random() * len(made))  # the demo's 5А has an online lesson every week
                    made[at] = (*made[at][:5], "", *made[at][6:8], True)
                plan.lessons.extend(made)

    def _homework(self, subject: str) -> str:
        rng = self.rng
        patterns = names.HOMEWORK.get(subject)
        if not patterns or rng.random() < 0.15:
            return ""
        pattern = patterns[int(rng.random() * len(patterns))]
        page = rng.randrange(5, 200)
        exercise = rng.randrange(1, 12)
        number = rng.randrange(1, 600)
        return pattern.format(
            p=page, p2=page + rng.randrange(2, 9), n=number, n2=number + rng.randrange(1, 6),
            s=rng.randrange(1, 45), e=exercise, e2=exercise + rng.randrange(1, 4),
        )  # fmt: skip

    # the school ---------------------------------------------------------------------------------

    def plan(self) -> SchoolPlan:
        rng = self.rng
        layout = self.layout
        school_id = self.ids.take("school")
        if self.demo:
            full, short = "ГБОУ Школа № {n}", "Школа № {n}"
        else:
            full, short = _SCHOOL_KINDS[int(rng.random() * len(_SCHOOL_KINDS))]
        classes = []
        for grade, letter, size in layout.classes:
            classes.append(
                ClassPlan(
                    id=0,
                    cohort_id=self.ids.take("cohort"),
                    entry_year=self.start_year - grade + 1,
                    grade=grade,
                    letter=letter,
                    size=size,
                )
            )
        for school_class in classes:
            school_class.id = self.ids.take("schoolclass")
        plan = SchoolPlan(
            index=layout.index,
            id=school_id,
            number=layout.number,
            name=full.format(n=layout.number),
            short_name=short.format(n=layout.number),
            identifier=f"{50:02d}{layout.number:05d}",
            classes=classes,
        )
        seats = [school_class for school_class in classes for _ in range(school_class.size)]
        if self.demo:
            by_title = {school_class.title: school_class for school_class in classes}
            self._demo_people(by_title)
            for title in ("2Б", "5А"):  # the demo children take a seat of their class
                if by_title[title] in seats:
                    seats.remove(by_title[title])
        rng.shuffle(seats)
        position = 0
        while position < len(seats):
            first = seats[position]
            if position + 1 < len(seats) and rng.random() < 0.12 and seats[position + 1].grade != first.grade:
                self._family([first, seats[position + 1]])  # siblings in two grades of the school
                position += 2
            else:
                self._family([first])
                position += 1
        self._guardianships()
        self._staff(classes)
        if layout.lessons or self.demo:
            self._lessons(classes, plan)
        plan.people = self.people
        plan.guardianships = self.guardianships
        plan.staff = self.staff
        return plan


def _by_id(person: PersonPlan) -> int:
    return person.id


def plan_region(
    *,
    preset: Preset,
    students: int,
    seed: int,
    today: dt.date,
    ids: Ids | None = None,
    start_year: int = START_YEAR,
) -> Iterator[SchoolPlan]:
    """The schools of a region, planned one at a time (each is forgotten once the caller moves on)."""
    ids = ids or Ids()
    for layout in school_layouts(preset, students, seed):
        yield SchoolPlanner(
            layout=layout, seed=seed, ids=ids, today=today, demo=preset.demo, start_year=start_year
        ).plan()
