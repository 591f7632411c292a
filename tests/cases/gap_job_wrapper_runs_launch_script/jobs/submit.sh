#!/usr/bin/env bash
set -e
NODES=4
RUN=sft-small
sky exec cluster-a --num-nodes "${NODES}" -- bash -c "node_launch.sh \$HEAD_IP ${NODES} ${RUN}"
