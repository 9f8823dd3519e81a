#!/usr/bin/env bash
# Finds a JDK 25 (the build's release): $JAVA_HOME if it is one, else /usr/lib/jvm/*25*.
find_jdk25() {
  local dir
  for dir in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*25*; do
    if [[ -n $dir && -x $dir/bin/javac ]] && "$dir/bin/java" -version 2>&1 | grep -q 'version "25'; then
      echo "$dir"
      return 0
    fi
  done
  echo "jvmm: no JDK 25 found (looked at \$JAVA_HOME and /usr/lib/jvm/*25*). Install Temurin 25 under /usr/lib/jvm." >&2
  return 1
}
