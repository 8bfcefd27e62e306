using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Config;

namespace Octet.Compiler.Quantization.WideActivations;

/// <summary>
/// Turns the QDQ quantizer's 8-bit activation parameters into the ones a <see cref="WideActivationPolicy"/> asks
/// for (int16-contract decisions 1 and 3):
/// <list type="bullet">
/// <item>every tensor of <see cref="ResidualStreamRoles.Wide"/> the quantizer quantizes gets symmetric int16
/// parameters (<see cref="Parameters"/>) from its calibrated range × the range factor;</item>
/// <item>data-movement outputs keep sharing their input's parameters, so they carry its 16 bits;</item>
/// <item>a 16-bit activation read by a linear layer (Conv / Gemm / MatMul) whose own quantized output is 8-bit
/// is read through an 8-bit copy with the tensor's 8-bit parameters (<see cref="Result.EightBitCopies"/>);
/// LayerNormalization, Add, Concat, Gather and data-movement readers read the 16-bit tensor itself.</item>
/// </list>
/// </summary>
internal static class WideActivationAssignment
{
    private static readonly HashSet<string> LinearLayers = ["Conv", "Gemm", "MatMul"];

    /// <param name="Parameters">The parameters of every quantized activation, 16-bit where the policy says so.</param>
    /// <param name="EightBitCopies">(node index, input tensor) pairs a linear layer reads through an 8-bit copy, with the copy's parameters.</param>
    public sealed record Result(
        Dictionary<string, QuantizationParameters> Parameters,
        Dictionary<(int Node, string Tensor), QuantizationParameters> EightBitCopies);

    /// <summary>
    /// Symmetric int16 parameters for the calibrated range [<paramref name="min"/>, <paramref name="max"/>] widened
    /// <paramref name="factor"/> times: zero point 0, scale = max(|min|, |max|) · factor / 32767.
    /// </summary>
    public static QuantizationParameters Parameters(float min, float max, double factor)
    {
        if (!(factor > 0) || !double.IsFinite(factor)) throw new ArgumentException($"the range factor {factor} is not a finite number greater than 0");
        float lo = (float)(min * factor), hi = (float)(max * factor);
        if (!float.IsFinite(lo) || !float.IsFinite(hi))
            throw new ArgumentException($"the range [{min}, {max}] times {factor} is not a finite float32 range");
        return QuantizationMath.FromRange(lo, hi, ElementType.Int16, symmetric: true);
    }

    /// <summary>
    /// Applies <paramref name="request"/>'s policy to <paramref name="eightBit"/> (what the quantizer chose for
    /// <paramref name="graph"/> at 8 bits). <paramref name="quantizedOutput"/> gives the tensor that carries a node's
    /// quantization (its output, or the output of the Relu / Clip it fuses), null when the node's result stays float.
    /// </summary>
    public static Result Apply(ModelGraph graph, QuantizationRequest request, Dictionary<string, QuantizationParameters> eightBit,
        Func<Node, string?> quantizedOutput)
    {
        var copies = new Dictionary<(int, string), QuantizationParameters>();
        if (request.WideActivations == WideActivationPolicy.None) return new Result(eightBit, copies);

        var roles = ResidualStreamRoles.Find(graph);
        if (roles.IsEmpty)
            throw new OctetException($"{request.Source}: transformer.wide_activations is \"{request.WideActivations.Name()}\", but " +
                                     $"{Describe(graph)} has no residual stream (no LayerNormalization reading a computed tensor) to give 16 bits; " +
                                     "set it to \"none\" or leave the key out for this model");

        var chosen = new Dictionary<string, QuantizationParameters>(StringComparer.Ordinal);
        foreach (var input in graph.Inputs)
            if (eightBit.TryGetValue(input, out var p)) chosen[input] = p;
        foreach (var node in graph.Nodes)
            foreach (var output in node.Outputs)
            {
                if (output.Length == 0 || !eightBit.TryGetValue(output, out var p8)) continue;
                // As at 8 bits: a data-movement output shares its input's parameters, now perhaps 16-bit ones.
                if (DataMovementOps.Contains(node) && chosen.TryGetValue(node.Inputs[0], out var shared)) chosen[output] = shared;
                else if (roles.Wide.Contains(output)) chosen[output] = Wide(output, p8, request);
                else chosen[output] = p8;
            }

        for (int n = 0; n < graph.Nodes.Count; n++)
        {
            var node = graph.Nodes[n];
            if (node.Domain.Length != 0 || !LinearLayers.Contains(node.OpType)) continue;
            if (quantizedOutput(node) is not { } output || !chosen.TryGetValue(output, out var outputParameters)
                || outputParameters.StorageType == ElementType.Int16) continue;
            foreach (var input in node.Inputs.Distinct())
                if (input.Length > 0 && chosen.TryGetValue(input, out var p) && p.StorageType == ElementType.Int16)
                    copies[(n, input)] = eightBit[input];
        }
        return new Result(chosen, copies);
    }

    /// <summary>The 16-bit parameters of <paramref name="tensor"/>: from its calibrated range, or else the range its 8-bit parameters cover.</summary>
    private static QuantizationParameters Wide(string tensor, QuantizationParameters eightBit, QuantizationRequest request)
    {
        var (min, max) = request.ActivationRange(tensor)
                         ?? ((eightBit.QMin - eightBit.ZeroPoint) * eightBit.Scale, (eightBit.QMax - eightBit.ZeroPoint) * eightBit.Scale);
        try
        {
            return Parameters(min, max, request.WideRangeFactor);
        }
        catch (ArgumentException e)
        {
            throw new OctetException($"{request.Source}: tensor '{tensor}': no 16-bit parameters ({e.Message})", e);
        }
    }

    private static string Describe(ModelGraph graph) => graph.SourcePath is { Length: > 0 } path ? path : $"the model '{graph.Name}'";
}
