# The swsim image: every service of docker-compose.yml runs `swsim <command>` from it.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY gateway ./gateway
COPY swsim ./swsim
COPY customs_cq ./customs_cq
COPY customs_cd ./customs_cd
COPY tax_exchange ./tax_exchange
COPY simulators ./simulators
RUN pip install --no-cache-dir . \
 && useradd --uid 10001 --create-home swsim \
 && mkdir -p /data && chown swsim /data
USER swsim
ENV SWSIM_DATA_DIR=/data
ENTRYPOINT ["swsim"]
CMD ["--help"]
