#!/usr/bin/env bash
# A real Spark standalone cluster on 127.0.0.1 from the build's own jars: one Master and N Workers, each its
# own JVM. Used by the fault-tolerance tests and for trying spark-submit locally.
#
#   deploy/cluster/standalone.sh start DIR [WORKERS=2] [CORES_PER_WORKER=1] [MEMORY_PER_WORKER=2g]
#       prints the master URL (spark://127.0.0.1:PORT) on stdout; logs and pids go to DIR
#   deploy/cluster/standalone.sh stop DIR
#
# Needs `mvn -DskipTests install` first (deploy/target/provided-classpath.txt lists Spark's jars).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cmd="${1:-}"; dir="${2:-}"
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR [WORKERS] [CORES] [MEMORY]" >&2; exit 2; }
mkdir -p "$dir"; dir="$(cd "$dir" && pwd)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

opens=(-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector
  --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true)

case "$cmd" in
  start)
    workers="${3:-2}"; cores="${4:-1}"; memory="${5:-2g}"
    cp_file="$root/deploy/target/provided-classpath.txt"
    [[ -f "$cp_file" ]] || { echo "missing $cp_file: run 'mvn -DskipTests install' first" >&2; exit 1; }
    # A SPARK_HOME whose jars/ the Worker's executor launcher can list (links to the build's Spark jars). The AWS
    # SDK bundle stays out: it carries an unshaded SLF4J 1.7 that, first in jars/*, silences every log; this
    # cluster keeps its data on local disk.
    home="$dir/spark-home"
    rm -rf "$home"; mkdir -p "$home/jars" "$home/conf"
    tr ':' '\n' < "$cp_file" | grep -v '/awssdk/bundle/' | while read -r jar; do [[ -n "$jar" ]] && ln -sf "$jar" "$home/jars/"; done
    export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 SPARK_LOG_DIR="$dir"
    port="$(free_port)"
    master="spark://127.0.0.1:$port"
    nohup java "${opens[@]}" -Xmx512m -cp "$home/jars/*" org.apache.spark.deploy.master.Master \
      --host 127.0.0.1 --port "$port" --webui-port "$(free_port)" >"$dir/master.log" 2>&1 &
    echo $! >"$dir/master.pid"
    for _ in $(seq 1 120); do grep -qs "I have been elected leader" "$dir/master.log" && break; sleep 0.5; done
    grep -q "I have been elected leader" "$dir/master.log" || { echo "master did not start; see $dir/master.log" >&2; exit 1; }
    for i in $(seq 1 "$workers"); do
      mkdir -p "$dir/worker-$i"
      nohup java "${opens[@]}" -Xmx512m -cp "$home/jars/*" org.apache.spark.deploy.worker.Worker \
        --host 127.0.0.1 --cores "$cores" --memory "$memory" --webui-port "$(free_port)" \
        --work-dir "$dir/worker-$i" "$master" >"$dir/worker-$i.log" 2>&1 &
      echo $! >"$dir/worker-$i.pid"
    done
    for i in $(seq 1 "$workers"); do
      for _ in $(seq 1 120); do grep -qs "Successfully registered with master" "$dir/worker-$i.log" && break; sleep 0.5; done
      grep -q "Successfully registered with master" "$dir/worker-$i.log" || { echo "worker $i did not register; see $dir/worker-$i.log" >&2; exit 1; }
    done
    echo "$master" | tee "$dir/master.url"
    ;;
  stop)
    for f in "$dir"/worker-*.pid "$dir"/master.pid; do
      [[ -f "$f" ]] || continue
      pid="$(cat "$f")"
      # Workers' executors are their children: stop them too.
      pkill -TERM -P "$pid" 2>/dev/null || true
      kill -TERM "$pid" 2>/dev/null || true
      rm -f "$f"
    done
    ;;
  *) echo "unknown command '$cmd' (start|stop)" >&2; exit 2 ;;
esac
