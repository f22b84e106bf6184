FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN pybabel compile -d locale -D django
RUN SECRET_KEY=build-only-collectstatic DEBUG=false PAYMENT_GATEWAY=purchasing.gateways.WebhookGateway \
    python manage.py collectstatic --noinput
RUN useradd --create-home library && mkdir -p /app/media && chown -R library /app
USER library
EXPOSE 8000
CMD ["gunicorn", "library_project.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
