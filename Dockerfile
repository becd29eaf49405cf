# aimarket in a container: installs the package with its pinned dependencies and serves the
# live simulation page on 0.0.0.0:8765. The same steps run outside Docker in scripts/bootstrap
# (this machine has no Docker engine; CI uses the script).
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY abm ./abm
COPY agents ./agents
COPY experiments ./experiments
COPY viz ./viz
RUN pip install --no-cache-dir -c constraints.txt .
EXPOSE 8765
# Default: the browser app. Other commands: docker run IMAGE aimarket run --scenario baseline
CMD ["aimarket", "app", "--host", "0.0.0.0", "--port", "8765"]
