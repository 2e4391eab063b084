# One image for every role: `dom worker`, `dom api` (or `dom up` for a single box).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY adapters ./adapters
COPY starter ./starter
COPY worker.py ./
RUN pip install --no-cache-dir .
USER nobody
ENTRYPOINT ["dom"]
CMD ["up"]
