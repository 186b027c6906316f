"""Nightly zerospark retraining on YARN: `zerospark pipeline run` through SparkSubmitOperator.

The pipeline's exit code decides the task's state (README "Exit codes"):

    0  done                        -> success
    3  nothing new                 -> skipped (no new articles; train, eval and promote did not run)
    4  failed at a stage           -> failed, retried: the retry reruns the same --run-id, which resumes at the
                                      first stage that did not succeed (train from its checkpoint)
    2  config or usage error       -> failed, not retried (a retry cannot fix a config)
    1  unexpected error            -> failed, retried

spark-submit returns the driver's exit code only in client deploy mode (in YARN cluster mode any failure is 1), so
this DAG submits in client mode: the driver runs on the Airflow worker, executors and GPUs on YARN. The Spark
settings are those of deploy/yarn/submit.sh (the same keys, in SPARK_CONF below).

Connection `spark_yarn` (an Airflow Spark connection with host `yarn`). Airflow Variables, read when the task runs:
zerospark_jar (the fat jar's path or URI) and zerospark_pipeline_config (pipeline.yaml). Sizing: EXECUTORS and
GPUS_PER_EXECUTOR below; deploy/yarn/gpu-discovery.sh must be at DISCOVERY_SCRIPT on the Airflow worker.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from airflow import DAG
from airflow.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

# zerospark pipeline run's exit codes; one table of them in the README ("Exit codes").
EXIT_DONE = 0
EXIT_UNEXPECTED = 1
EXIT_CONFIG = 2
EXIT_NOTHING_NEW = 3
EXIT_STAGE_FAILED = 4

# SparkSubmitHook fails with "Cannot execute: <command>. Error code is: <n>." for a non-zero exit.
_ERROR_CODE = re.compile(r"Error code is: (-?\d+)")

MAIN_CLASS = "dev.zerospark.cli.ZeroSpark"
EXECUTORS = 2
GPUS_PER_EXECUTOR = 1  # 0: CPU ranks, no GPU scheduling
DISCOVERY_SCRIPT = "/opt/zerospark/gpu-discovery.sh"


def spark_conf(gpus_per_executor: int) -> dict[str, str]:
    """deploy/yarn/submit.sh's settings: barrier stages refuse dynamic allocation, one GPU per rank."""
    conf = {
        "spark.dynamicAllocation.enabled": "false",
        "spark.driver.extraJavaOptions": "-Dai.djl.offline=true",
        "spark.executor.extraJavaOptions": "-Dai.djl.offline=true",
        "spark.yarn.maxAppAttempts": "1",
        "spark.authenticate": "true",
        "spark.network.crypto.enabled": "true",
        "spark.io.encryption.enabled": "true",
    }
    if gpus_per_executor > 0:
        conf.update({
            "spark.executor.resource.gpu.amount": str(gpus_per_executor),
            "spark.task.resource.gpu.amount": "1",
            "spark.executor.resource.gpu.discoveryScript": "./gpu-discovery.sh",
        })
    return conf


def exit_code(error: AirflowException) -> int:
    """The spark-submit exit code inside SparkSubmitHook's error, or EXIT_UNEXPECTED when it names none."""
    m = _ERROR_CODE.search(str(error))
    return int(m.group(1)) if m else EXIT_UNEXPECTED


class ZeroSparkPipelineOperator(SparkSubmitOperator):
    """SparkSubmitOperator that turns `zerospark pipeline run`'s exit code into the task state (module doc)."""

    def execute(self, context):
        try:
            super().execute(context)
            return EXIT_DONE
        except AirflowException as e:
            code = exit_code(e)
            if code == EXIT_NOTHING_NEW:
                raise AirflowSkipException("zerospark pipeline: nothing new to train on (exit 3)") from e
            if code == EXIT_CONFIG:
                raise AirflowFailException("zerospark pipeline: config or usage error (exit 2), not retried; "
                                           "see the task log's 'zerospark:' line") from e
            if code == EXIT_STAGE_FAILED:
                raise AirflowException("zerospark pipeline: a stage failed (exit 4); a retry resumes the run") from e
            raise


with DAG(
    dag_id="zerospark_retrain",
    description="prepare new articles, continue training, evaluate, promote, generate",
    schedule="0 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # the pipeline holds a lease on the registry; a second run would fail at once
    default_args={"retries": 2, "retry_delay": timedelta(minutes=15)},
    tags=["zerospark"],
) as dag:
    ZeroSparkPipelineOperator(
        task_id="pipeline_run",
        conn_id="spark_yarn",
        application="{{ var.value.zerospark_jar }}",
        java_class=MAIN_CLASS,
        # One run id per DAG run: the same across this task's retries, so a retry resumes rather than restarts.
        application_args=["pipeline", "run", "--config", "{{ var.value.zerospark_pipeline_config }}",
                          "--run-id", "nightly-{{ ds_nodash }}"],
        conf=spark_conf(GPUS_PER_EXECUTOR),
        files=DISCOVERY_SCRIPT if GPUS_PER_EXECUTOR > 0 else None,
        num_executors=EXECUTORS,
        deploy_mode="client",
        name="zerospark-retrain-{{ ds_nodash }}",
    )
