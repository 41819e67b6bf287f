package io.pam.net;

import io.pam.Route;
import java.util.List;

/**
 * One node of the network: {@code name = op(inputs...)}.
 *
 * @param group  0 for nodes on every path; 1..4 for nodes of a bypassable group
 * @param bypass for group nodes: true on the bypass branch (the connect layer), false on the
 *               compute branch. Both branches of a group end in a node of the same name, so
 *               what follows does not depend on the choice.
 */
public record Node(String name, Op op, List<String> inputs, int group, boolean bypass) {
    public Node {
        inputs = List.copyOf(inputs);
        if (op.arity() >= 0 && inputs.size() != op.arity())
            throw new IllegalArgumentException(name + ": " + op + " takes " + op.arity() + " inputs");
        if (group == 0 && bypass) throw new IllegalArgumentException(name + ": bypass outside a group");
    }

    /** Whether this node runs on a path. */
    public boolean runsOn(Route route) {
        return group == 0 || route.computes(group) != bypass;
    }

    /** The conv op, or null. */
    public Op.Conv conv() {
        return op instanceof Op.Conv c ? c : null;
    }
}
