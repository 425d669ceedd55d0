"""Connection settings reach both kinds of Kafka client the runtime makes."""

from __future__ import annotations

import ssl

from faust.auth import SASLCredentials, SSLCredentials
from pydantic import SecretStr

from duewise.settings import Settings
from streams.app import _credentials, build_app
from streams.kafka import client_options
from streams.topics import TopicNames, planned_topics


def test_plaintext_by_default() -> None:
    settings = Settings(broker="kafka://a:9092,kafka://b:9092")
    assert client_options(settings) == {
        "bootstrap_servers": "a:9092,b:9092",
        "security_protocol": "PLAINTEXT",
    }
    assert _credentials(settings) is None


def test_sasl_ssl_reaches_aiokafka_and_faust() -> None:
    settings = Settings(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="svc-duewise",
        sasl_password=SecretStr("s3cret"),
    )
    options = client_options(settings)
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "svc-duewise"
    assert options["sasl_plain_password"] == "s3cret"
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    credentials = _credentials(settings)
    assert isinstance(credentials, SASLCredentials)
    assert credentials.username == "svc-duewise"
    assert "s3cret" not in repr(settings)


def test_ssl_without_sasl() -> None:
    settings = Settings(security_protocol="SSL")
    assert isinstance(_credentials(settings), SSLCredentials)
    assert "sasl_mechanism" not in client_options(settings)


def test_every_keyed_topic_and_the_changelog_share_the_partition_count() -> None:
    settings = Settings(partitions=6, topic_prefix="p.", app_id="w")
    planned = {t.name: t for t in planned_topics(settings)}
    names = TopicNames.of(settings)
    for name in (*names.inputs, names.decisions, names.audit, names.dlq, names.changelog):
        assert planned[name].num_partitions == 6
    assert planned[names.models].num_partitions == 1
    assert planned[names.changelog].topic_configs["cleanup.policy"] == "compact"


def test_app_is_built_without_connecting(tmp_path: object) -> None:
    app = build_app(Settings(web_enabled=False, app_id="unit"))
    assert app.conf.id == "unit"
    assert app.conf.table_standby_replicas == 0
    assert app.conf.topic_partitions == 4
