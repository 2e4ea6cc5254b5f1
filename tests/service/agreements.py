"""Agreements the service tests upload."""

DESK = """
id: desk
version: "1"
overview: {title: Support desk}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
effective: {start: 2026-01-01, review: {next: 2027-03-01, owner: owner@us.example}}
objectives:
  - id: response
    metric: first_response
    within: 1h
    target: 90%
    calendar: 24x7
  - id: resolution
    metric: resolution
    within: 4h
    target: 90%
    calendar: 24x7
    clock:
      pause: [{when: {status: [Waiting on customer]}, reason: customer}]
      stop: {status: [Resolved]}
escalation:
  - objectives: [resolution]
    levels:
      - {at: 50%, notify: [lead@us.example], channels: [webhook]}
      - {at: breach, notify: [manager@us.example], channels: [email, webhook]}
"""

DESK_V2 = DESK.replace('version: "1"', 'version: "2"').replace("within: 4h", "within: 8h")

OTHER = """
id: globex-desk
version: "1"
overview: {title: Globex desk}
parties:
  customer: {id: globex-retail, name: Globex Retail}
  provider: {id: globex, name: Globex}
objectives:
  - {id: response, metric: first_response, within: 2h, target: 95%, calendar: 24x7}
"""

PROBED = """
id: probed
version: "1"
overview: {title: Probed API}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
services: [{id: api, name: API}]
objectives:
  - id: availability
    metric: availability
    method: slices
    scope: {service: [api]}
    target: 99%
    calendar: 24x7
remedies:
  termination: {after_misses: 2, within: year, objectives: [availability]}
"""

UPTIME = """
id: uptime
version: "1"
overview: {title: Uptime}
parties:
  customer: {id: acme-corp, name: ACME}
  provider: {id: us, name: Us}
services: [{id: api, name: API}]
objectives:
  - {id: availability, metric: availability, scope: {service: [api]}, target: 99.9%,
     calendar: 24x7}
escalation:
  - objectives: [availability]
    levels:
      - {at: burn 14.4x over 1h/5m, notify: [oncall@us.example], channels: [webhook]}
      - {at: burn 1x over 3d/6h, notify: [lead@us.example], channels: [webhook]}
      - {at: 75%, notify: [manager@us.example], channels: [webhook]}
"""
