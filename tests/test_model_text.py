"""TextDecoder and TextEncoder: WHATWG rules, checked by hand and against Node's own TextDecoder."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.model.text import EncodingNotModelled, TextDecoderModel, encode_utf8
from harness.model.traps import JsException
from harness.runtimes.discovery import Runtime
from tests.oracle import ask_node


def test_the_articles_nine_bytes_decode_to_its_six_characters() -> None:
    decoded = TextDecoderModel("utf8").decode(bytes([120, 225, 187, 139, 110, 32, 120, 195, 178]))
    assert decoded == "xịn xò" and len(decoded) == 6


def test_a_leading_bom_is_stripped_unless_ignore_bom() -> None:
    data = b"\xef\xbb\xbfhi"
    assert TextDecoderModel().decode(data) == "hi"
    assert TextDecoderModel(ignore_bom=True).decode(data) == "\ufeffhi"
    assert TextDecoderModel().decode(b"\xef\xbb\xbf\xef\xbb\xbf") == "\ufeff"  # only one is a BOM


def test_each_maximal_ill_formed_subpart_becomes_one_replacement_character() -> None:
    # Unicode 15, table 3-8: the classic example from the Encoding Standard's notes.
    assert TextDecoderModel().decode(b"\x61\xf1\x80\x80\xe1\x80\xc2\x62") == "a\ufffd\ufffd\ufffdb"
    assert TextDecoderModel().decode(b"\xed\xa0\x80") == "\ufffd\ufffd\ufffd"  # a surrogate's encoding


def test_fatal_decoding_throws_type_error() -> None:
    with pytest.raises(JsException) as caught:
        TextDecoderModel("utf-8", fatal=True).decode(b"\xff")
    assert caught.value.name == "TypeError"


def test_labels_are_case_insensitive_and_trimmed_and_unknown_ones_throw_range_error() -> None:
    assert TextDecoderModel("  UTF8\n").encoding == "utf-8"
    assert TextDecoderModel("unicode-1-1-utf-8").encoding == "utf-8"
    with pytest.raises(JsException) as caught:
        TextDecoderModel("utf-9")
    assert caught.value.name == "RangeError"


def test_text_encoder_replaces_lone_surrogates_and_joins_pairs() -> None:
    assert encode_utf8("a\ud800b") == b"a\xef\xbf\xbdb"
    assert encode_utf8("\ud83d\ude00") == "😀".encode()


byte_strings = st.one_of(
    st.binary(max_size=24),
    st.lists(st.sampled_from([b"\xef\xbb\xbf", b"\xc3", b"\xa9", b"\xe2\x82", b"\xac", b"\xf0\x9f", b"\x98\x80",
                              b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"a", b"\x80"]), max_size=8)
    .map(b"".join))
decoder_options = st.tuples(st.sampled_from(["utf-8", "utf8", " Unicode-1-1-UTF-8 ", "latin1", "windows-1252", "utf-16le",
                                               "UTF-16BE"]), st.booleans(), st.booleans())


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cases=st.lists(st.tuples(byte_strings, decoder_options), min_size=40, max_size=120))
def test_decoding_agrees_with_nodes_text_decoder(cases, node_runtime: Runtime, tmp_path_factory) -> None:
    requests = [[data.hex(), label, fatal, ignore_bom] for data, (label, fatal, ignore_bom) in cases]
    answers = ask_node(node_runtime, tmp_path_factory.mktemp("text"), decode=requests)["decode"]
    for (data, (label, fatal, ignore_bom)), node in zip(cases, answers):
        try:
            model = {"value": TextDecoderModel(label, fatal=fatal, ignore_bom=ignore_bom).decode(data)}
        except JsException as thrown:
            model = {"error": thrown.name}
        assert model == node, (data.hex(), label, fatal, ignore_bom)


def test_latin1_is_windows_1252_with_c1_controls_in_its_gaps() -> None:
    assert TextDecoderModel("latin1").decode(b"\x80\x81\x9d\xe9") == "\u20ac\u0081\u009d\u00e9"


def test_encodings_the_model_lacks_are_said_to_be_missing_not_invalid() -> None:
    with pytest.raises(EncodingNotModelled, match="does not decode shift_jis"):
        TextDecoderModel("Shift_JIS")
