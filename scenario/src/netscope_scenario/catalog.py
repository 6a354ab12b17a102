"""Static facts the world is built from: vendor OUIs, internet services, and the normal application mix."""

from __future__ import annotations

from dataclasses import dataclass

from netscope_ntopng.ndpi import L7_PROTOCOL_IDS

# Real IEEE OUI prefixes (vendor -> first three octets).
OUI: dict[str, str] = {
    "dell": "00:14:22",
    "apple": "f0:18:98",
    "hp": "3c:d9:2b",
    "intel": "00:1b:21",
    "cisco": "00:1b:54",
    "juniper": "00:05:85",
    "vmware": "00:50:56",
    "synology": "00:11:32",
    "raspberrypi": "b8:27:eb",
}
CLIENT_VENDORS = ("dell", "apple", "hp", "intel")


@dataclass(frozen=True, slots=True)
class RemoteService:
    """A well-known internet host: name, address, country and autonomous system."""

    key: str
    name: str
    ip: str
    country: str
    asn: int


REMOTE_SERVICES: tuple[RemoteService, ...] = (
    RemoteService("google-dns", "dns.google", "8.8.8.8", "US", 15169),
    RemoteService("google", "www.google.com", "142.250.180.4", "US", 15169),
    RemoteService("youtube", "rr3---sn-4g5e6nsz.googlevideo.com", "173.194.182.137", "US", 15169),
    RemoteService("gmail-mx", "aspmx.l.google.com", "142.250.27.27", "US", 15169),
    RemoteService("o365", "outlook.office365.com", "52.97.146.162", "US", 8075),
    RemoteService("teams", "teams.microsoft.com", "52.113.194.132", "US", 8075),
    RemoteService("winupdate", "download.windowsupdate.com", "13.107.4.50", "US", 8075),
    RemoteService("netflix", "ipv4-c001-fra001-ix.1.oca.nflxvideo.net", "45.57.90.1", "US", 2906),
    RemoteService("github", "github.com", "140.82.121.4", "US", 36459),
    RemoteService("dropbox", "api.dropboxapi.com", "162.125.19.131", "US", 19679),
    RemoteService("s3", "s3.eu-central-1.amazonaws.com", "52.219.170.85", "DE", 16509),
    RemoteService("ntp", "time.cloudflare.com", "162.159.200.1", "US", 13335),
    RemoteService("cloudflare", "one.one.one.one", "1.1.1.1", "US", 13335),
    RemoteService("spotify", "spclient.wg.spotify.com", "35.186.224.25", "US", 15169),
    RemoteService("zoom", "zoom.us", "170.114.52.2", "US", 30103),
)

# Incident peers (remote): the exfiltration drop, the beaconing C2 server and the external scanner.
EXFIL_PEER = RemoteService("exfil", "storage-upd.ru", "95.213.145.201", "RU", 49505)
C2_PEER = RemoteService("c2", "telemetry-cdn.net", "185.107.56.48", "NL", 43350)
SCANNER_PEER = RemoteService("scanner", "", "218.92.0.107", "CN", 4134)
BACKDOOR_PEER = RemoteService("backdoor", "", "45.95.147.236", "NL", 49870)

# Address blocks that visitors of the public web server come from: (first three octets, country, ASN).
VISITOR_BLOCKS: tuple[tuple[str, str, int], ...] = (
    ("87.128.44", "DE", 3320),
    ("81.2.69", "GB", 20712),
    ("24.4.12", "US", 7922),
    ("82.64.10", "FR", 12322),
    ("151.66.3", "IT", 1267),
    ("186.10.21", "CL", 27651),
)


def l7(name: str) -> int:
    """nDPI protocol id by name (fails loudly on a typo)."""
    return L7_PROTOCOL_IDS[name]


@dataclass(frozen=True, slots=True)
class AppProfile:
    """One kind of normal traffic.

    `servers` names either local host roles ("local:dns") or remote service keys ("remote:google").
    `clients` is "workstations", "visitors" or "local:<role>". Bytes are log-normal medians with a sigma.
    """

    weight: float
    app: str
    master: str
    protocol: int
    port: int
    clients: str
    servers: tuple[str, ...]
    c2s_median: float
    s2c_median: float
    sigma: float
    duration_median: float
    info: str = ""  # "dns" for a query name, "sni" for the server name, or empty


APP_PROFILES: tuple[AppProfile, ...] = (
    AppProfile(28, "DNS", "Unknown", 17, 53, "workstations", ("local:dns",), 70, 160, 0.2, 0.0, "dns"),
    AppProfile(
        4, "DNS", "Unknown", 17, 53, "local:dns", ("remote:google-dns", "remote:cloudflare"), 70, 160, 0.2, 0.0, "dns"
    ),
    AppProfile(
        16,
        "Google",
        "TLS",
        6,
        443,
        "workstations",
        ("remote:google", "remote:github", "remote:dropbox"),
        2_500,
        45_000,
        1.3,
        8.0,
        "sni",
    ),
    AppProfile(
        5, "YouTube", "QUIC", 17, 443, "workstations", ("remote:youtube",), 60_000, 4_000_000, 1.0, 120.0, "sni"
    ),
    AppProfile(
        1, "NetFlix", "TLS", 6, 443, "workstations", ("remote:netflix",), 200_000, 25_000_000, 0.8, 600.0, "sni"
    ),
    AppProfile(7, "Microsoft365", "TLS", 6, 443, "workstations", ("remote:o365",), 6_000, 60_000, 1.2, 20.0, "sni"),
    AppProfile(3, "Teams", "TLS", 6, 443, "workstations", ("remote:teams",), 300_000, 900_000, 1.0, 300.0, "sni"),
    AppProfile(2, "HTTP", "Unknown", 6, 80, "workstations", ("remote:winupdate",), 900, 400_000, 1.5, 15.0, "sni"),
    AppProfile(1, "Spotify", "TLS", 6, 443, "workstations", ("remote:spotify",), 8_000, 3_000_000, 1.0, 180.0, "sni"),
    AppProfile(1, "Zoom", "Unknown", 17, 8801, "workstations", ("remote:zoom",), 3_000_000, 4_000_000, 0.8, 900.0),
    AppProfile(2, "NTP", "Unknown", 17, 123, "workstations", ("local:dc",), 90, 90, 0.0, 0.0),
    AppProfile(6, "SMBv23", "Unknown", 6, 445, "workstations", ("local:file",), 40_000, 600_000, 1.6, 30.0),
    AppProfile(3, "LDAP", "Unknown", 6, 389, "workstations", ("local:dc",), 1_200, 4_000, 0.8, 1.0),
    AppProfile(3, "Kerberos", "Unknown", 6, 88, "workstations", ("local:dc",), 1_500, 1_600, 0.4, 0.2),
    AppProfile(0.5, "DHCP", "Unknown", 17, 67, "workstations", ("local:dc",), 340, 340, 0.0, 0.0),
    AppProfile(3, "IMAPS", "Unknown", 6, 993, "workstations", ("local:mail",), 3_000, 80_000, 1.4, 60.0),
    AppProfile(1, "SMTP", "Unknown", 6, 25, "local:mail", ("remote:gmail-mx",), 40_000, 1_200, 1.2, 2.0),
    AppProfile(1, "SSH", "Unknown", 6, 22, "workstations", ("local:web",), 20_000, 90_000, 1.5, 300.0),
    AppProfile(1, "ICMP", "Unknown", 1, 0, "workstations", ("remote:google-dns",), 84, 84, 0.0, 0.0),
    AppProfile(5, "TLS", "Unknown", 6, 443, "visitors", ("local:web",), 1_800, 70_000, 1.2, 5.0, "web"),
)

PUBLIC_WEB_NAME = "www.netscope-demo.example"

# Query names for normal DNS traffic (the DGA incident's names are generated).
COMMON_DOMAINS: tuple[str, ...] = (
    "www.google.com",
    "github.com",
    "outlook.office365.com",
    "teams.microsoft.com",
    "www.youtube.com",
    "api.dropboxapi.com",
    "login.microsoftonline.com",
    "spclient.wg.spotify.com",
    "zoom.us",
    "time.cloudflare.com",
    "www.wikipedia.org",
    "slack.com",
    "fonts.gstatic.com",
    "update.googleapis.com",
    "ocsp.digicert.com",
)
