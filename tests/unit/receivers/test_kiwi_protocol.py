"""KiwiSDR frames and messages: every kind the client parses, built byte by byte, and malformed ones."""

import struct

import numpy as np
import pytest

from heimdall.receivers.kiwisdr.protocol import (
    FLAG_ADC_OVERFLOW,
    FLAG_IQ,
    FLAG_LITTLE_ENDIAN,
    GnssStamp,
    KiwiMessage,
    OtherFrame,
    SndFrame,
    decode_frame,
    encode_iq_frame,
    encode_message,
    refusal_in,
    sequence_step,
)
from heimdall.receivers.states import ReceiverRefused, RefusalReason


def _iq_frame(samples: list[int], *, flags: int = FLAG_IQ, sequence: int = 7, smeter: int = 1000,
              gnss: tuple[int, int, int] = (3, 124934, 129236364), little_endian: bool = False) -> bytes:
    """An IQ SND frame laid out by hand, as Beagle_SDR_GPS's snd_pkt_iq_t is."""
    order = "<" if little_endian else ">"
    header = b"SND" + struct.pack("<BI", flags, sequence) + struct.pack(">H", smeter)
    stamp = struct.pack("<BBII", gnss[0], 0, gnss[1], gnss[2])
    return header + stamp + struct.pack(f"{order}{len(samples)}h", *samples)


def test_iq_frame_fields_and_big_endian_samples() -> None:
    frame = decode_frame(_iq_frame([1000, -1000, 32767, -32768], flags=FLAG_IQ | FLAG_ADC_OVERFLOW))
    assert isinstance(frame, SndFrame) and frame.is_iq and frame.adc_overflow
    assert frame.sequence == 7
    assert frame.smeter_dbm == pytest.approx(-27.0)  # 0.1 * 1000 - 127
    assert frame.gnss == GnssStamp(3, 124934, 129236364)
    assert frame.gnss.seconds_of_week == pytest.approx(124934.129236364, abs=1e-9)
    assert frame.iq is not None and frame.iq.dtype == np.complex64
    np.testing.assert_array_equal(frame.iq, np.array([1000 - 1000j, 32767 - 32768j], np.complex64) / 32768)


def test_little_endian_flag_is_honoured() -> None:
    frame = decode_frame(_iq_frame([1, 2, -3, 4], flags=FLAG_IQ | FLAG_LITTLE_ENDIAN, little_endian=True))
    assert isinstance(frame, SndFrame) and frame.iq is not None
    np.testing.assert_array_equal(frame.iq * 32768, np.array([1 + 2j, -3 + 4j], np.complex64))


def test_sequence_is_little_endian_and_smeter_big_endian() -> None:
    frame = decode_frame(b"SND" + bytes([0x00, 0x01, 0x02, 0x00, 0x00, 0x04, 0xF6]) + bytes(8))
    assert isinstance(frame, SndFrame) and not frame.is_iq and frame.gnss is None
    assert frame.sequence == 0x0201 and frame.smeter_dbm == pytest.approx(0.1 * 0x04F6 - 127)
    assert frame.payload_bytes == 8


def test_messages_are_split_and_percent_decoded() -> None:
    frame = decode_frame(b"MSG version_maj=1 version_min=820 freq_offset=0.000 redirect=http%3A%2F%2Fkiwi.example%3A8073 monitor")
    assert isinstance(frame, KiwiMessage)
    assert frame.get("version_min") == "820" and frame.get("redirect") == "http://kiwi.example:8073"
    assert "monitor" in frame and frame.get("monitor") is None and frame.get("absent") is None
    assert decode_frame("MSG sample_rate=12001.135000").get("sample_rate") == "12001.135000"  # text frame


def test_undecodable_message_bytes_are_replaced_not_fatal() -> None:
    frame = decode_frame(b"MSG \xff\xfe audio_rate=12000 =orphan")
    assert isinstance(frame, KiwiMessage) and frame.get("audio_rate") == "12000"
    assert all(name for name, _ in frame.params)


def test_other_streams_are_recognised_and_left_alone() -> None:
    assert decode_frame(b"W/F\x00\x01\x02") == OtherFrame("W/F", 6)
    assert decode_frame(b"EXT") == OtherFrame("EXT", 3)


@pytest.mark.parametrize(("data", "match"), [
    (b"", "not a KiwiSDR frame"),
    (b"SN", "not a KiwiSDR frame"),
    (b"\x00\xffSND", "not a KiwiSDR frame"),
    (b"SND\x08\x01\x00", "shorter than its header"),
    (b"SND\x08\x01\x00\x00\x00\x00\x00\x00\x01", "too short for its GNSS header"),
    (_iq_frame([1, 2])[:-1], "not whole I/Q pairs"),
    (_iq_frame([1, 2, 3]), "not whole I/Q pairs"),
])
def test_malformed_frames_raise_one_protocol_error(data: bytes, match: str) -> None:
    with pytest.raises(ReceiverRefused, match=match) as caught:
        decode_frame(data)
    assert caught.value.reason == RefusalReason.PROTOCOL_ERROR


def test_random_bytes_never_escape_as_anything_but_a_protocol_error() -> None:
    rng = np.random.default_rng(15)
    prefixes = [b"", b"SND", b"SND\x08", b"MSG ", b"W/F"]
    for trial in range(3000):
        data = prefixes[trial % len(prefixes)] + rng.integers(0, 256, rng.integers(0, 40)).astype(np.uint8).tobytes()
        try:
            frame = decode_frame(data)
        except ReceiverRefused as refused:
            assert refused.reason == RefusalReason.PROTOCOL_ERROR
        else:
            assert isinstance(frame, KiwiMessage | SndFrame | OtherFrame)


@pytest.mark.parametrize(("stamp", "usable"), [
    (GnssStamp(0, 124934, 1), True),
    (GnssStamp(252, 124934, 1), True),
    (GnssStamp(0, 0, 0), False),  # a session's first frame
    (GnssStamp(253, 124934, 1), False),
    (GnssStamp(254, 124934, 1), False),
    (GnssStamp(255, 124934, 1), False),
    (GnssStamp(1, 124934, 1_000_000_000), False),
    (GnssStamp(1, 604_800, 0), False),
])
def test_which_gnss_stamps_can_time_samples(stamp: GnssStamp, usable: bool) -> None:
    assert stamp.usable is usable


def test_sequence_steps_across_the_u32_wrap() -> None:
    assert sequence_step(5, 6) == 1
    assert sequence_step(5, 9) == 4
    assert sequence_step(2**32 - 1, 0) == 1
    assert sequence_step(2**32 - 2, 1) == 3
    assert sequence_step(6, 6) == 0 and sequence_step(6, 5) == -1


@pytest.mark.parametrize(("message", "reason"), [
    (b"MSG too_busy=4", RefusalReason.TOO_BUSY),
    (b"MSG badp=1", RefusalReason.BAD_PASSWORD),
    (b"MSG badp=5", RefusalReason.TOO_BUSY),
    (b"MSG badp=6", RefusalReason.DOWN),
    (b"MSG reason_disabled=maintenance%20today down=0", RefusalReason.DOWN),
    (b"MSG down=1", RefusalReason.DOWN),
    (b"MSG redirect=http%3A%2F%2Fother.example%3A8073", RefusalReason.REDIRECT),
    (b"MSG monitor", RefusalReason.CAMP_ONLY),
    (b"MSG camp_disconnect", RefusalReason.CAMP_ONLY),
    (b"MSG exclusive_use", RefusalReason.TOO_BUSY),
    (b"MSG inactivity_timeout=30", RefusalReason.INACTIVITY_TIMEOUT),
    (b"MSG ip_limit=60,1.2.3.4", RefusalReason.TIME_LIMIT),
    (b"MSG password_timeout", RefusalReason.BAD_PASSWORD),
    (b"MSG kiwi_kick=1,You%20were%20kicked!", RefusalReason.KICKED),
])
def test_every_refusal_maps_onto_a_reason(message: bytes, reason: RefusalReason) -> None:
    frame = decode_frame(message)
    assert isinstance(frame, KiwiMessage)
    refused = refusal_in(frame)
    assert refused is not None and refused.reason == reason and refused.message


def test_refusal_details_and_non_refusals() -> None:
    redirect = refusal_in(KiwiMessage((("redirect", "http://other.example:8073"),)))
    assert redirect is not None and redirect.redirect_url == "http://other.example:8073"
    down = refusal_in(KiwiMessage((("reason_disabled", "new antenna"), ("down", "0"))))
    assert down is not None and "new antenna" in down.message
    assert refusal_in(KiwiMessage((("updating", None), ("down", "1")))).message.endswith("is updating its software")
    for harmless in (b"MSG badp=0", b"MSG sample_rate=12001.135", b"MSG camp=1,0", b"MSG rx_chans=8"):
        frame = decode_frame(harmless)
        assert isinstance(frame, KiwiMessage) and refusal_in(frame) is None


def test_server_side_encoders_produce_what_the_parser_reads() -> None:
    message = decode_frame(encode_message(("redirect", "http://a.example/x y"), ("monitor", None)))
    assert isinstance(message, KiwiMessage)
    assert message.params == (("redirect", "http://a.example/x y"), ("monitor", None))
    pcm = np.array([12, -34, 32767, -32768], np.int16)
    for little in (False, True):
        frame = decode_frame(encode_iq_frame(2**32 + 3, pcm, GnssStamp(9, 1, 2), smeter_dbm=-73.4, little_endian=little))
        assert isinstance(frame, SndFrame) and frame.sequence == 3 and frame.gnss == GnssStamp(9, 1, 2)
        assert frame.smeter_dbm == pytest.approx(-73.4) and frame.iq is not None
        np.testing.assert_array_equal(frame.iq * 32768, pcm[0::2] + 1j * pcm[1::2])
