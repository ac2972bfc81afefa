# ClaimGraph API image: the package with its pinned dependencies and the spaCy model.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends default-jre-headless make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY flows ./flows
COPY ontology ./ontology
COPY seeds ./seeds
RUN pip install --no-cache-dir -e .
ENV CLAIMGRAPH_STORE=/data/store
EXPOSE 8000
CMD ["claimgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
