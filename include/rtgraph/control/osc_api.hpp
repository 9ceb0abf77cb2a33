// The OSC address space of rtgraphd, version 1: one table that the router
// dispatches on, /api answers from and the README documents.
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

#include <span>
#include <string_view>

namespace rtgraph::control {

inline constexpr std::string_view kApiVersion = "1";

struct OscAddress {
    std::string_view path;
    std::string_view arguments;  // typetags, for /api: "ss[sf]*" style (after the optional id)
    std::string_view usage;      // argument names
    std::string_view description;
};

inline constexpr OscAddress kOscAddresses[] = {
    {"/version", "", "", "API version and daemon version"},
    {"/api", "", "",
     "every address with its argument types, usage and description; structural changes are saved "
     "to the state file before their reply, parameter values within 250 ms of it"},
    {"/node/add", "ss[sf]*", "TYPE NAME [PARAM VALUE]...", "add a node of TYPE named NAME"},
    {"/node/remove", "s", "NAME", "remove a node (it fades out first)"},
    {"/node/rename", "ss", "NAME NEW_NAME", "rename a node; connections stay"},
    {"/node/bypass", "sT", "NAME ON", "bypass a node (crossfaded) or end the bypass"},
    {"/connect", "ss[f]", "SRC DST [GAIN]",
     "connect node:port / graph:port endpoints, or a graph port and an external JACK port"},
    {"/disconnect", "ss", "SRC DST", "remove a connection (it fades out)"},
    {"/edge/gain", "ssf", "SRC DST GAIN", "change a connection's gain (ramped)"},
    {"/port/add", "ss[s]", "NAME in|out [audio|midi]", "add a graph-level JACK port"},
    {"/port/remove", "s", "NAME", "remove a graph-level JACK port"},
    {"/param/set", "ssf[f]", "NODE PARAM VALUE [RAMP_MS]",
     "set a parameter, ramped; in the state file within 250 ms of the reply"},
    {"/param/get", "ss", "NODE PARAM", "a parameter's value, range, default and unit"},
    {"/graph/clear", "", "", "remove every node and connection (ports stay)"},
    {"/graph/dump", "", "", "the whole graph as JSON"},
    {"/graph/export", "", "",
     "the graph as a state document (JSON, schema 1): ports, nodes, parameters, connections, "
     "external JACK connections"},
    {"/graph/import", "s", "JSON",
     "replace the graph with a state document (string or blob; a /graph/dump is read too) in one "
     "glitch-free swap"},
    {"/snapshot/save", "s", "NAME",
     "save the graph as snapshot NAME (replacing one of that name); on disk before the reply"},
    {"/snapshot/load", "s", "NAME", "replace the graph with snapshot NAME in one glitch-free swap"},
    {"/snapshot/list", "", "", "the names of the saved snapshots, sorted"},
    {"/snapshot/delete", "s", "NAME", "delete snapshot NAME"},
    {"/types", "[s]", "[FILTER]",
     "node types with their ports and parameters, as JSON; unfiltered, plugin types are listed by "
     "name only (FILTER: part of a type name, or builtin, lv2, ladspa)"},
    {"/midi/map", "ii[ss][ff]", "CHANNEL CC NODE PARAM [MIN MAX]",
     "bind MIDI controller CC (0-127) on CHANNEL (1-16) to a parameter; 0..127 -> MIN..MAX"},
    {"/midi/unmap", "ii", "CHANNEL CC", "remove every binding of that controller"},
    {"/midi/learn", "ss[ff]", "NODE PARAM [MIN MAX]",
     "bind the next controller that arrives to the parameter; the sender gets "
     "/midi/learned CHANNEL CC NODE PARAM"},
    {"/plugins", "[s]", "[FILTER]",
     "installed LV2 and LADSPA plugins as JSON: unfiltered, each with its port counts; with a FILTER "
     "(part of a name, URI or class), each with every port's range, default and unit"},
    {"/plugins/rescan", "", "", "scan the plugin paths again; new plugins become node types"},
    {"/node/outputs", "s", "NODE", "a plugin node's control outputs and latency, as JSON"},
    {"/node/path", "sss", "NODE PROPERTY_URI PATH",
     "send an LV2 plugin a file (patch:Set of an atom:Path), e.g. a sample to load"},
    {"/status", "", "", "audio figures, counters and health, as JSON"},
    {"/subscribe", "[s]*", "[TOPIC]...",
     "receive notifications: xrun graph param meter status (none: all)"},
    {"/unsubscribe", "", "", "stop notifications"},
};

inline std::span<const OscAddress> osc_addresses() { return kOscAddresses; }

}  // namespace rtgraph::control
