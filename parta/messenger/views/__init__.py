"""The messenger's pages (thin: one ``access_*``, one action, render)."""
