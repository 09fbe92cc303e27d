#!/bin/sh
# screenshot.sh PAGE.html SHOT.png [WIDTH HEIGHT]
#
# Renders a report's index.html in headless Chromium, as a person would
# see it, and saves a screenshot. Installs Debian's chromium package when
# no Chromium is found (needs root and the network, once).
#
# The flags keep Chromium from reaching the network or writing outside a
# throw-away profile: the page and its images are local files.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 PAGE.html SHOT.png [WIDTH HEIGHT]" >&2
	exit 2
fi
page=$1
shot=$2
width=${3:-1400}
height=${4:-3000}

if [ ! -f "$page" ]; then
	echo "$0: $page: no such file" >&2
	exit 2
fi

browser=""
for b in chromium chromium-browser google-chrome; do
	if command -v "$b" >/dev/null 2>&1; then
		browser=$b
		break
	fi
done
if [ -z "$browser" ]; then
	echo "$0: installing Debian's chromium package" >&2
	apt-get update >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-liberation >/dev/null
	browser=chromium
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
abs_page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
abs_shot=$(cd "$(dirname "$shot")" && pwd)/$(basename "$shot")

"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--hide-scrollbars --user-data-dir="$profile" \
	--window-size="$width,$height" --screenshot="$abs_shot" "file://$abs_page" \
	>"$profile/chromium.log" 2>&1 || {
	echo "$0: $browser failed:" >&2
	cat "$profile/chromium.log" >&2
	exit 1
}
if [ ! -s "$abs_shot" ]; then
	echo "$0: $browser wrote no screenshot" >&2
	cat "$profile/chromium.log" >&2
	exit 1
fi
echo "$abs_shot"
