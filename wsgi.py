"""What gunicorn serves: `gunicorn wsgi:app`."""

from wms.web.app import create_app

app = create_app()
