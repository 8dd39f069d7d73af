# Sourced by the benchmark scripts: the processes they start (servers,
# peers) on free 127.0.0.1 ports, stopped by PID when the script exits, and
# the credentials file osprey-server reads. Needs $WORK (a temp dir the
# cleanup removes) and a die() function in the caller.

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_port() {  # PORT PID NAME: waits until NAME (log in $WORK/NAME.log) listens
  for _ in $(seq 100); do
    kill -0 "$2" 2>/dev/null || { tail -n 20 "$WORK/$3.log" >&2; die "$3 exited during start-up"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "$3 did not listen on 127.0.0.1:$1 within 10 s"
}

write_credentials() {  # DATA_DIR ACCESS_KEY SECRET_KEY
  mkdir -p "$1"
  printf '[[keys]]\naccess_key_id = "%s"\nsecret_access_key = "%s"\n' "$2" "$3" >"$1/credentials.toml"
  chmod 600 "$1/credentials.toml"
}
