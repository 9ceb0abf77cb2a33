#include "lv2_state_files.hpp"

#include <lv2/atom/atom.h>
#include <serd/serd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>

namespace rtgraph::plugins {
namespace {

struct Reading {
    SerdEnv* env;
    StateFiles* out;
};

std::string text_of(const SerdNode& node) {
    return std::string(reinterpret_cast<const char*>(node.buf), node.n_bytes);
}

// The node as an absolute URI (prefixed names expanded, relative URIs
// resolved against @base); empty when it is neither.
std::string absolute_uri(const SerdEnv* env, const SerdNode* node) {
    if (node == nullptr || (node->type != SERD_URI && node->type != SERD_CURIE)) return {};
    SerdNode expanded = serd_env_expand_node(env, node);
    std::string uri = expanded.buf != nullptr ? text_of(expanded) : std::string();
    serd_node_free(&expanded);
    return uri;
}

void note_uri(Reading& reading, const SerdNode* node) {
    const std::string uri = absolute_uri(reading.env, node);
    if (uri.compare(0, 5, "file:") != 0) return;
    uint8_t* host = nullptr;
    uint8_t* path = serd_file_uri_parse(reinterpret_cast<const uint8_t*>(uri.c_str()), &host);
    // A file URI that names a host, or does not parse, is kept whole: it is
    // refused as a path, which is what it should be.
    reading.out->paths.push_back(path != nullptr && host == nullptr
                                     ? std::string(reinterpret_cast<const char*>(path))
                                     : uri);
    serd_free(path);
    serd_free(host);
}

SerdStatus on_base(void* handle, const SerdNode* uri) {
    return serd_env_set_base_uri(static_cast<Reading*>(handle)->env, uri);
}

SerdStatus on_prefix(void* handle, const SerdNode* name, const SerdNode* uri) {
    return serd_env_set_prefix(static_cast<Reading*>(handle)->env, name, uri);
}

SerdStatus on_statement(void* handle, SerdStatementFlags /*flags*/, const SerdNode* graph,
                        const SerdNode* subject, const SerdNode* predicate, const SerdNode* object,
                        const SerdNode* datatype, const SerdNode* /*lang*/) {
    Reading& reading = *static_cast<Reading*>(handle);
    for (const SerdNode* node : {graph, subject, predicate, object}) note_uri(reading, node);
    if (object->type == SERD_LITERAL && absolute_uri(reading.env, datatype) == LV2_ATOM__Path) {
        reading.out->paths.push_back(text_of(*object));
    }
    return SERD_SUCCESS;
}

// serd reports syntax errors here (instead of on stderr): the first one is
// what the refusal says.
SerdStatus on_error(void* handle, const SerdError* error) {
    Reading& reading = *static_cast<Reading*>(handle);
    if (!reading.out->error.empty()) return SERD_SUCCESS;
    char text[256];
    va_list args;
    va_copy(args, *error->args);
    std::vsnprintf(text, sizeof text, error->fmt, args);
    va_end(args);
    std::string message = text;
    while (!message.empty() && message.back() == '\n') message.pop_back();
    reading.out->error = "line " + std::to_string(error->line) + ": " + message;
    return SERD_SUCCESS;
}

}  // namespace

StateFiles lv2_state_files(const std::string& turtle) {
    StateFiles files;
    const std::unique_ptr<SerdEnv, decltype(&serd_env_free)> env(serd_env_new(nullptr), &serd_env_free);
    Reading reading{env.get(), &files};
    const std::unique_ptr<SerdReader, decltype(&serd_reader_free)> reader(
        serd_reader_new(SERD_TURTLE, &reading, nullptr, on_base, on_prefix, on_statement, nullptr),
        &serd_reader_free);
    serd_reader_set_strict(reader.get(), true);
    serd_reader_set_error_sink(reader.get(), on_error, &reading);
    const SerdStatus status =
        serd_reader_read_string(reader.get(), reinterpret_cast<const uint8_t*>(turtle.c_str()));
    files.parsed = status == SERD_SUCCESS;
    if (!files.parsed && files.error.empty()) {
        files.error = reinterpret_cast<const char*>(serd_strerror(status));
    }
    return files;
}

}  // namespace rtgraph::plugins
