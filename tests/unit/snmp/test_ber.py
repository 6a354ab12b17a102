"""The native v2c codec against pysnmp/pyasn1: same messages encoded, same values decoded."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902, rfc1905

from netscope_snmp.ber import (
    GET,
    GET_BULK,
    BerError,
    Missing,
    decode_oid,
    decode_response,
    encode_oid,
    encode_request,
    type_name,
)
from netscope_snmp.transport import plain_value

V2 = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]

VALUES = [
    rfc1902.Integer32(-5),
    rfc1902.Integer32(2**31 - 1),
    rfc1902.OctetString(b"eth0 \xff\x00"),
    rfc1902.ObjectIdentifier("1.3.6.1.4.1.8072.3.2.10"),
    rfc1902.IpAddress("192.0.2.7"),
    rfc1902.Counter32(2**32 - 1),
    rfc1902.Gauge32(1000),
    rfc1902.TimeTicks(233425120),
    rfc1902.Counter64(2**64 - 1),
    rfc1902.Opaque(b"\x9f\x78\x04"),
    rfc1902.Null(""),
    rfc1905.NoSuchObject(""),
    rfc1905.NoSuchInstance(""),
    rfc1905.EndOfMibView(""),
]


def pysnmp_response(values: list[object], request_id: int = 4242, error_status: int = 0) -> bytes:
    pdu = V2.ResponsePDU()
    V2.apiPDU.set_defaults(pdu)
    V2.apiPDU.set_request_id(pdu, request_id)
    V2.apiPDU.set_error_status(pdu, error_status)
    V2.apiPDU.set_varbinds(pdu, [(f"1.3.6.1.2.1.2.2.1.{i}.{2**32 + i}", v) for i, v in enumerate(values)])
    msg = V2.Message()
    V2.apiMessage.set_defaults(msg)
    V2.apiMessage.set_community(msg, "s3cret")
    V2.apiMessage.set_pdu(msg, pdu)
    return bytes(encoder.encode(msg))


def test_decodes_every_value_type_like_pysnmp() -> None:
    response = decode_response(pysnmp_response(VALUES))
    assert response.community == b"s3cret" and response.request_id == 4242 and response.error_status == 0
    assert [v for _, v in response.varbinds] == [plain_value(v) for v in VALUES]
    assert response.varbinds[0][0] == (1, 3, 6, 1, 2, 1, 2, 2, 1, 0, 2**32)
    assert [v for _, v in response.varbinds][4] == IPv4Address("192.0.2.7")
    assert [v for _, v in response.varbinds][-3:] == list(Missing)


def test_error_status_is_kept() -> None:
    response = decode_response(pysnmp_response([rfc1902.Null("")], error_status=1))
    assert response.error_status == 1


@pytest.mark.parametrize("pdu_type", [GET, GET_BULK])
def test_requests_decode_in_pyasn1_as_sent(pdu_type: int) -> None:
    oids = [(1, 3, 6, 1, 2, 1, 1, 3), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 2**31 + 7)]
    wire = encode_request(b"public", pdu_type, 2**31 - 1, oids, non_repeaters=1, max_repetitions=25)
    msg, rest = decoder.decode(wire, asn1Spec=V2.Message())
    assert rest == b""
    pdu = V2.apiMessage.get_pdu(msg)
    assert bytes(V2.apiMessage.get_community(msg)) == b"public"
    assert int(V2.apiPDU.get_request_id(pdu)) == 2**31 - 1
    assert [tuple(name) for name, _ in V2.apiPDU.get_varbinds(pdu)] == oids
    if pdu_type == GET_BULK:
        assert int(V2.apiBulkPDU.get_non_repeaters(pdu)) == 1
        assert int(V2.apiBulkPDU.get_max_repetitions(pdu)) == 25


@pytest.mark.parametrize("oid", [(1, 3), (1, 3, 6, 1, 4, 1, 2**32 + 1), (2, 999, 3), (0, 39)])
def test_oid_round_trip(oid: tuple[int, ...]) -> None:
    assert decode_oid(encode_oid(oid)) == oid
    assert encode_oid(oid) == bytes(encoder.encode(rfc1902.ObjectName(oid)))[2:]


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"", "truncated message"),
        (b"\x30\x03\x02\x01", "BER element runs past the end of its container"),
        (pysnmp_response([rfc1902.Integer32(1)])[:-2], "BER element runs past the end of its container"),
        (b"\x30\x03\x02\x01\x00", "not an SNMPv2c message"),
        (b"\x30\x80\x00\x00", "indefinite or oversized BER length"),
        (pysnmp_response([rfc1902.Integer32(1)]).replace(b"\xa2", b"\xa0", 1), "got tag 0xa0"),
        (pysnmp_response([rfc1902.Integer32(1)])[:-3] + b"\x47\x01\x01", "unknown value tag 0x47"),
    ],
)
def test_malformed_messages_are_named(wire: bytes, message: str) -> None:
    with pytest.raises(BerError, match=message):
        decode_response(wire)


def test_invalid_oid_is_refused() -> None:
    with pytest.raises(BerError, match=r"invalid OID 1\.40"):
        encode_oid((1, 40))


def test_type_names_for_notes() -> None:
    assert [type_name(v) for v in (b"x", (1, 3), None, 5, Missing.NO_SUCH_OBJECT)] == [
        "OctetString",
        "ObjectIdentifier",
        "Null",
        "Integer",
        "noSuchObject",
    ]
