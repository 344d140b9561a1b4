"""Moving states between nodes and tokens along the node-token alignment.

``node_token_index`` is ``(2, A)``: row 0 a node index into the batch's ``N`` nodes, row 1 a flat token
index ``b * T + t`` into the ``(B, T)`` token grid. Both directions average over the pairs; a node or a
token without pairs gets zeros.
"""

from __future__ import annotations

from torch import Tensor
from torch_geometric.utils import scatter


def nodes_to_tokens(
    node_states: Tensor, node_token_index: Tensor, batch_size: int, num_tokens: int
) -> Tensor:
    """Mean of the states of the nodes aligned to each token.

    Shapes:
        node_states ``(N, D)``, node_token_index ``(2, A)`` → ``(B, T, D)`` with ``B = batch_size``,
        ``T = num_tokens``.
    """
    node, token = node_token_index
    per_token = scatter(
        node_states[node], token, dim=0, dim_size=batch_size * num_tokens, reduce="mean"
    )  # (B*T, D)
    return per_token.view(batch_size, num_tokens, -1)  # (B, T, D)


def tokens_to_nodes(token_states: Tensor, node_token_index: Tensor, num_nodes: int) -> Tensor:
    """Mean of the states of the tokens aligned to each node.

    Shapes:
        token_states ``(B, T, D)``, node_token_index ``(2, A)`` → ``(N, D)`` with ``N = num_nodes``.
    """
    node, token = node_token_index
    flat = token_states.reshape(-1, token_states.size(-1))  # (B*T, D)
    return scatter(flat[token], node, dim=0, dim_size=num_nodes, reduce="mean")  # (N, D)
