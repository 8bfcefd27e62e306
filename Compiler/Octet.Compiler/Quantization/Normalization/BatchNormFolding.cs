using Octet.Compiler.Graph;

namespace Octet.Compiler.Quantization.Normalization;

/// <summary>
/// Folds an inference-mode BatchNormalization into the convolution before it, per output channel c:
/// k = γ / sqrt(σ² + ε); W' = W · k; b' = (b − μ) · k + β. Done before weight quantization, so the folded
/// weights are what gets quantized (quantizing W and then scaling by k would lose precision per channel).
/// Applies only when the Conv output feeds that BatchNormalization alone and every parameter is constant.
/// </summary>
public static class BatchNormFolding
{
    public static int Run(ModelGraph graph)
    {
        int folded = 0;
        foreach (var bn in graph.Nodes.Where(n => n.OpType == "BatchNormalization" && n.Domain.Length == 0).ToList())
        {
            if (bn.Outputs.Count(o => o.Length > 0) != 1 || bn.GetInt("training_mode", 0) != 0) continue;
            var x = bn.Inputs[0];
            var conv = graph.Producer(x);
            if (conv is null || conv.OpType != "Conv" || conv.Domain.Length != 0) continue;
            if (graph.Outputs.Contains(x) || graph.Consumers(x).Count != 1) continue;
            var weights = graph.Tensor(conv.Inputs[1]).ConstantValue;
            var bias = conv.HasInput(2) ? graph.Tensor(conv.Inputs[2]).ConstantValue : null;
            if (weights is null || (conv.HasInput(2) && bias is null)) continue;
            var parameters = Enumerable.Range(1, 4).Select(i => graph.Tensor(bn.Inputs[i]).ConstantValue).ToArray();
            if (parameters.Any(p => p is null || p.ElementType != ElementType.Float32)) continue;
            var (gamma, beta, mean, variance) = (parameters[0]!.As<float>(), parameters[1]!.As<float>(), parameters[2]!.As<float>(), parameters[3]!.As<float>());
            double epsilon = bn.GetFloat("epsilon", 1e-5f);

            int channels = weights.Shape[0];
            if (gamma.Length != channels) continue;
            int perChannel = (int)(weights.ElementCount / channels);
            var w = weights.As<float>();
            var foldedWeights = new float[w.Length];
            var foldedBias = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                double k = gamma[c] / Math.Sqrt(variance[c] + epsilon);
                for (int i = 0; i < perChannel; i++) foldedWeights[c * perChannel + i] = (float)(w[c * perChannel + i] * k);
                double b = bias is null ? 0 : bias.As<float>()[c];
                foldedBias[c] = (float)((b - mean[c]) * k + beta[c]);
            }

            var weightName = graph.UniqueName(conv.Inputs[1] + "_bn_folded");
            graph.Tensors[weightName] = TensorInfo.ForConstant(weightName, Tensor.Create(weights.Shape, foldedWeights));
            var biasName = graph.UniqueName((conv.HasInput(2) ? conv.Inputs[2] : conv.Name + "_bias") + "_bn_folded");
            graph.Tensors[biasName] = TensorInfo.ForConstant(biasName, Tensor.Create(new Shape(channels), foldedBias));

            var replacement = new Node(conv.Name, conv.OpType, conv.Domain, conv.OpsetVersion,
                [conv.Inputs[0], weightName, biasName], [bn.Outputs[0]], conv.Attributes);
            graph.Nodes[graph.Nodes.IndexOf(conv)] = replacement;
            graph.Nodes.Remove(bn);
            graph.Tensors.Remove(x);
            folded++;
        }
        return folded;
    }
}
