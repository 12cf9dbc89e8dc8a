# Sourced by the scripts: use the project's venv, and the course's shared NLTK
# data (../shared/nltk_data) when NLTK_DATA is not set and that folder exists.
# shellcheck shell=bash
. "${VENV:-.venv}/bin/activate"
if [ -z "${NLTK_DATA:-}" ] && [ -d ../shared/nltk_data ]; then
  NLTK_DATA="$(cd ../shared/nltk_data && pwd)"
  export NLTK_DATA
fi
