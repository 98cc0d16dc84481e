"""OneRoster 1.2 CSV import and export of the journal (``docs/oneroster.md``).

``oneroster_import`` reads a folder or a .zip, checks every file, and writes everything in one
transaction or nothing at all; ``oneroster_export`` writes the whole journal in the same format.
"""

from parta.journal.oneroster.errors import ImportProblem, OneRosterImportError
from parta.journal.oneroster.exporter import ExportReport, export_progress_total, oneroster_export
from parta.journal.oneroster.importer import import_progress_total, oneroster_import
from parta.journal.oneroster.writer import ImportReport

__all__ = [
    "ExportReport",
    "ImportProblem",
    "ImportReport",
    "OneRosterImportError",
    "export_progress_total",
    "import_progress_total",
    "oneroster_export",
    "oneroster_import",
]
