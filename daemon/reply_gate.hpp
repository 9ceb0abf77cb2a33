// ReplyGate: which replies may leave now. A client whose request changed the
// graph's structure gets nothing more until the state file holding that
// change has been written (its /done means "on disk" as well as "you can
// hear it"); every other client's replies leave at once. A client's replies
// leave in the order they were made.
//
// Threads: the control thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rtgraph/control/command_router.hpp"

namespace rtgraph::daemon {

class ReplyGate {
public:
    using Send = std::function<void(const control::Outgoing&)>;

    // [nrt] `peer`'s request made the structural change counted `change`:
    // its replies wait until that change is settled.
    void changed_by(const control::OscPeer& peer, std::uint64_t change);
    // [nrt] Sends, through `send`, the held replies now free and those of
    // `out` whose client is not waiting; keeps the rest. `settled`: the
    // count of changes whose write has finished. Empties `out`.
    void release(std::vector<control::Outgoing>& out, std::uint64_t settled, const Send& send);

    std::size_t held() const { return held_.size(); }

private:
    bool waits(const control::OscPeer& peer) const;

    std::deque<control::Outgoing> held_;
    // Per client (OscPeer::describe): the change its replies wait for.
    std::map<std::string, std::uint64_t> waiting_for_;
};

}  // namespace rtgraph::daemon
