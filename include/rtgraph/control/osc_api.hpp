// The OSC address space of rtgraphd, version 1: one table that the router
// dispatches on (kind, then command), /api answers from and the README
// documents.
//
// Threads: constant data; read by the control thread.
//
// Conventions, for every request:
//  - An optional int32 request id may come first; every reply carries it
//    (0 when none was given). No address's own arguments start with an int.
//  - Exactly one reply goes to the sender: /done ,is ID ADDRESS [results...]
//    once the change is live on the audio thread (queries: at once), or
//    /error ,isss ID ADDRESS CODE MESSAGE, and then nothing changed.
//  - Numbers may be sent as i, f, h or d; flags as T/F or an int.
//  - Durability: a structural change is in the state file before its /done
//    is sent; parameter values and connection gains are saved within 250 ms
//    of their /done (persist::kParamDurabilityBound).
//  - /snapshot/*, /graph/export and /graph/import act on their own, also in
//    a bundle: they are not part of its transaction.
//  - A bundle is one transaction: every message is validated, then all are
//    applied in one swap at the bundle's timetag, or none is. Each message
//    still gets its own reply.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace rtgraph::control {

inline constexpr std::string_view kApiVersion = "1";

// How the router treats a request: a query is answered at once and changes
// nothing; a change is an edit, applied with the rest of its bundle in one
// transaction; a standalone request acts on its own, also inside a bundle.
enum class OscKind : std::uint8_t { kQuery, kChange, kStandalone };

// Which handler answers the address: one per table entry.
enum class OscCommand : std::uint8_t {
    kVersion,
    kApi,
    kNodeAdd,
    kNodeRemove,
    kNodeRename,
    kNodeBypass,
    kConnect,
    kDisconnect,
    kEdgeGain,
    kPortAdd,
    kPortRemove,
    kParamSet,
    kParamGet,
    kGraphClear,
    kGraphDump,
    kGraphExport,
    kGraphImport,
    kSnapshotSave,
    kSnapshotLoad,
    kSnapshotList,
    kSnapshotDelete,
    kTypes,
    kMidiMap,
    kMidiUnmap,
    kMidiLearn,
    kPlugins,
    kPluginsRescan,
    kNodeOutputs,
    kNodePath,
    kStatus,
    kSubscribe,
    kUnsubscribe,
};

struct OscAddress {
    std::string_view path;
    OscKind kind;
    OscCommand command;
    std::string_view arguments;  // typetags, for /api: "ss[sf]*" style (after the optional id)
    std::string_view usage;      // argument names
    std::string_view description;
};

inline constexpr OscAddress kOscAddresses[] = {
    {"/version", OscKind::kQuery, OscCommand::kVersion, "", "", "API version and daemon version"},
    {"/api", OscKind::kQuery, OscCommand::kApi, "", "",
     "every address with its argument types, usage and description; structural changes are saved "
     "to the state file before their reply, parameter values within 250 ms of it"},
    {"/node/add", OscKind::kChange, OscCommand::kNodeAdd, "ss[sf]*", "TYPE NAME [PARAM VALUE]...",
     "add a node of TYPE named NAME"},
    {"/node/remove", OscKind::kChange, OscCommand::kNodeRemove, "s", "NAME",
     "remove a node (it fades out first)"},
    {"/node/rename", OscKind::kChange, OscCommand::kNodeRename, "ss", "NAME NEW_NAME",
     "rename a node; connections stay"},
    {"/node/bypass", OscKind::kChange, OscCommand::kNodeBypass, "sT", "NAME ON",
     "bypass a node (crossfaded) or end the bypass"},
    {"/connect", OscKind::kChange, OscCommand::kConnect, "ss[f]", "SRC DST [GAIN]",
     "connect node:port / graph:port endpoints, or a graph port and an external JACK port"},
    {"/disconnect", OscKind::kChange, OscCommand::kDisconnect, "ss", "SRC DST",
     "remove a connection (it fades out)"},
    {"/edge/gain", OscKind::kChange, OscCommand::kEdgeGain, "ssf", "SRC DST GAIN",
     "change a connection's gain (ramped)"},
    {"/port/add", OscKind::kChange, OscCommand::kPortAdd, "ss[s]", "NAME in|out [audio|midi]",
     "add a graph-level JACK port"},
    {"/port/remove", OscKind::kChange, OscCommand::kPortRemove, "s", "NAME",
     "remove a graph-level JACK port"},
    {"/param/set", OscKind::kChange, OscCommand::kParamSet, "ssf[f]", "NODE PARAM VALUE [RAMP_MS]",
     "set a parameter, ramped; in the state file within 250 ms of the reply"},
    {"/param/get", OscKind::kQuery, OscCommand::kParamGet, "ss", "NODE PARAM",
     "a parameter's value, range, default and unit"},
    {"/graph/clear", OscKind::kChange, OscCommand::kGraphClear, "", "",
     "remove every node and connection (ports stay)"},
    {"/graph/dump", OscKind::kQuery, OscCommand::kGraphDump, "", "", "the whole graph as JSON: ports, nodes, connections, external JACK connections, MIDI maps"},
    {"/graph/export", OscKind::kStandalone, OscCommand::kGraphExport, "", "",
     "the graph as a state document (JSON, schema 1): ports, nodes, parameters, connections, "
     "external JACK connections"},
    {"/graph/import", OscKind::kStandalone, OscCommand::kGraphImport, "s", "JSON",
     "replace the graph with a state document (string or blob; a /graph/dump is read too) in one "
     "glitch-free swap"},
    {"/snapshot/save", OscKind::kStandalone, OscCommand::kSnapshotSave, "s", "NAME",
     "save the graph as snapshot NAME (replacing one of that name); on disk before the reply"},
    {"/snapshot/load", OscKind::kStandalone, OscCommand::kSnapshotLoad, "s", "NAME",
     "replace the graph with snapshot NAME in one glitch-free swap"},
    {"/snapshot/list", OscKind::kStandalone, OscCommand::kSnapshotList, "", "",
     "the names of the saved snapshots, sorted"},
    {"/snapshot/delete", OscKind::kStandalone, OscCommand::kSnapshotDelete, "s", "NAME",
     "delete snapshot NAME"},
    {"/types", OscKind::kQuery, OscCommand::kTypes, "[s]", "[FILTER]",
     "node types with their ports and parameters, as JSON; unfiltered, plugin types are listed by "
     "name only (FILTER: part of a type name, or builtin, lv2, ladspa)"},
    {"/midi/map", OscKind::kChange, OscCommand::kMidiMap, "ii[ss][ff]",
     "CHANNEL CC NODE PARAM [MIN MAX]",
     "bind MIDI controller CC (0-127) on CHANNEL (1-16) to a parameter; 0..127 -> MIN..MAX"},
    {"/midi/unmap", OscKind::kChange, OscCommand::kMidiUnmap, "ii", "CHANNEL CC",
     "remove every binding of that controller"},
    {"/midi/learn", OscKind::kQuery, OscCommand::kMidiLearn, "ss[ff]", "NODE PARAM [MIN MAX]",
     "bind the next controller that arrives to the parameter; the sender gets "
     "/midi/learned CHANNEL CC NODE PARAM"},
    {"/plugins", OscKind::kQuery, OscCommand::kPlugins, "[s]", "[FILTER]",
     "installed LV2 and LADSPA plugins as JSON: unfiltered, each with its port counts; with a "
     "FILTER "
     "(part of a name, URI or class), each with every port's range, default and unit"},
    {"/plugins/rescan", OscKind::kQuery, OscCommand::kPluginsRescan, "", "",
     "scan the plugin paths again; new plugins become node types"},
    {"/node/outputs", OscKind::kQuery, OscCommand::kNodeOutputs, "s", "NODE",
     "a plugin node's control outputs and latency, as JSON"},
    {"/node/path", OscKind::kQuery, OscCommand::kNodePath, "sss", "NODE PROPERTY_URI PATH",
     "send an LV2 plugin a file (patch:Set of an atom:Path), e.g. a sample to load"},
    {"/status", OscKind::kQuery, OscCommand::kStatus, "", "",
     "audio figures, counters and health, as JSON"},
    {"/subscribe", OscKind::kQuery, OscCommand::kSubscribe, "[s]*", "[TOPIC]...",
     "receive notifications: xrun graph param meter status (none: all)"},
    {"/unsubscribe", OscKind::kQuery, OscCommand::kUnsubscribe, "", "", "stop notifications"},
};

inline std::span<const OscAddress> osc_addresses() {
    return kOscAddresses;
}

// The table's entry for `path`, or null when there is none.
constexpr const OscAddress* find_osc_address(std::string_view path) {
    for (const OscAddress& address : kOscAddresses) {
        if (address.path == path) return &address;
    }
    return nullptr;
}

}  // namespace rtgraph::control
