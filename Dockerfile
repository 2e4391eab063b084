# One image for every role: `dom worker`, `dom api` (or `dom up` for a single box).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY adapters ./adapters
COPY services ./services
COPY starter ./starter
COPY worker.py ./
# With the lookahead policy's LP solver: an image serves whichever rules ops installs.
RUN pip install --no-cache-dir '.[lookahead]' \
 # The workflow sandbox re-imports workflow modules for every workflow it starts; without
 # bytecode (PYTHONDONTWRITEBYTECODE images) each start recompiles them (+6 ms CPU per
 # order measured, docs/performance.md).
 && python -m compileall -q "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
USER nobody
ENTRYPOINT ["dom"]
CMD ["up"]
