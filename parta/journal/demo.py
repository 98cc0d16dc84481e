"""The published demo logins (README, ``parta demo``, ``parta seed --preset demo``); imports no Django."""

DEMO_PASSWORD = "parta-demo"  # noqa: S105 -- the published password of every generated account
DEMO_LOGINS = (
    ("teacher", "классный руководитель 5А и учитель математики; родитель ученицы 2Б"),
    ("parent", "родитель ученика 5А (student)"),
    ("student", "ученик 5А"),
    ("admin", "администратор школы, вход в /admin/"),
)
