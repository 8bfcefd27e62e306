using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// Builds an output shape whose dims come from attributes or constant inputs (pads, strides, scales, ...),
/// so that one too large for a tensor is reported against the node that asked for it.
/// </summary>
internal static class OutputShape
{
    public static Shape Create(Node node, params int[] dims)
    {
        decimal count = 1;
        foreach (var d in dims) count *= d;
        if (count > Shape.MaxElements)
            throw OctetException.AtNode(node,
                $"the output would have shape [{string.Join(",", dims)}], {count:N0} elements; Octet allows at most {Shape.MaxElements:N0} in one tensor");
        return new Shape(dims);
    }
}
