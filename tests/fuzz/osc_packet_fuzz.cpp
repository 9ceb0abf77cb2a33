// libFuzzer target for the OSC packet parser (src/control/osc_packet.cpp),
// built with -fsanitize=fuzzer,address,undefined. Single-threaded: libFuzzer
// calls LLVMFuzzerTestOneInput on its own thread, standing in for the
// control thread that parses datagrams in rtgraphd.
//
// Besides "no crash, no over-read, no UB", it checks, aborting on failure:
//  - a refusal says why and leaves the packet empty;
//  - a bare message that parses re-encodes to exactly the input bytes (the
//    parser accepts only the canonical form: NUL padding, no trailing bytes);
//  - every parsed message re-encodes, and parses back to the same bytes;
//  - the messages re-encoded as one flat bundle parse back to the same time
//    and messages;
//  - what parses under tight limits parses the same under the defaults.
// Messages are compared through their encodings, so a NaN compares equal to
// itself bit for bit.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "rtgraph/control/osc_packet.hpp"

namespace {

using rtgraph::control::encode_osc_bundle;
using rtgraph::control::encode_osc_message;
using rtgraph::control::OscMessage;
using rtgraph::control::OscPacket;
using rtgraph::control::OscParseLimits;
using rtgraph::control::parse_osc_packet;
using Bytes = std::vector<std::uint8_t>;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
    std::fprintf(stderr, "osc_packet_fuzz: %s%s%s\n", what, detail.empty() ? "" : ": ",
                 detail.c_str());
    std::abort();
}

void check(bool condition, const char* what, const std::string& detail = {}) {
    if (!condition) fail(what, detail);
}

// Both packets hold the same time and messages, compared by their bytes.
bool same_packet(const OscPacket& a, const OscPacket& b) {
    if (a.time != b.time || a.messages.size() != b.messages.size()) return false;
    for (std::size_t k = 0; k < a.messages.size(); ++k) {
        if (encode_osc_message(a.messages[k]) != encode_osc_message(b.messages[k])) return false;
    }
    return true;
}

void check_message_round_trip(const OscMessage& message) {
    const Bytes bytes = encode_osc_message(message);
    check(!bytes.empty(), "a parsed message does not encode", message.address);
    OscPacket again;
    std::string error;
    check(parse_osc_packet(bytes, again, error), "a re-encoded message does not parse", error);
    check(!again.bundle && again.time.immediate() && again.messages.size() == 1,
          "a re-encoded message parses to something else");
    check(encode_osc_message(again.messages[0]) == bytes, "a message changed in the round trip",
          message.address);
}

void check_failure(const OscPacket& packet, const std::string& error) {
    check(!error.empty(), "refused without a reason");
    check(!packet.bundle && packet.messages.empty() && packet.time.immediate(),
          "a refusal left data in the packet", error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    OscPacket first;
    std::string error;
    const bool ok = parse_osc_packet(input, first, error);

    // Tight limits refuse more, never parse differently.
    OscParseLimits tight;
    tight.max_depth = 2;
    tight.max_messages = 3;
    tight.max_args = 4;
    tight.max_string = 12;
    tight.max_blob = 8;
    OscPacket small;
    std::string small_error;
    if (parse_osc_packet(input, small, small_error, tight)) {
        check(ok, "parsed under tight limits, refused under the defaults", error);
        check(small.bundle == first.bundle && same_packet(small, first),
              "tight and default limits parse differently");
    } else {
        check_failure(small, small_error);
    }

    if (!ok) {
        check_failure(first, error);
        return 0;
    }
    check(error.empty(), "parsed with an error set", error);
    for (const OscMessage& message : first.messages) check_message_round_trip(message);

    if (!first.bundle) {
        check(first.messages.size() == 1 && first.time.immediate(), "a bare message parsed oddly");
        check(encode_osc_message(first.messages[0]) == Bytes(input.begin(), input.end()),
              "a bare message does not re-encode to its own bytes");
    }

    // Flattened into one bundle: each element's size field and the bundle
    // header are 20 bytes more than a bare message, never more than nesting.
    const Bytes flat = encode_osc_bundle(first.time, first.messages);
    check(!flat.empty(), "the messages do not encode as a bundle");
    OscParseLimits roomy;
    roomy.max_packet = size + 20;
    OscPacket second;
    check(parse_osc_packet(flat, second, error, roomy), "the flat bundle does not parse", error);
    check(second.bundle && same_packet(first, second), "the flat bundle parses differently");
    return 0;
}
