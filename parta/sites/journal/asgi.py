import os

from parta.core.asgi import get_one_hop_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parta.sites.journal.settings")
application = get_one_hop_asgi_application()
