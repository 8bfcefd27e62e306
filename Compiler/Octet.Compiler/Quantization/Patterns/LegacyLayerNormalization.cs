using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;

namespace Octet.Compiler.Quantization.Patterns;

/// <summary>
/// ONNX Runtime's exporters and graph optimizer write LayerNormalization into the default domain of models
/// that import opsets below 17, where the ONNX standard has no such operator: it is ONNX Runtime's own
/// (contrib) LayerNormalization, with the attributes, inputs and outputs the standard adopted at version 17
/// (axis, epsilon, stash_type; X, Scale, optional B; optional Mean and InvStdDev). The shared
/// <c>attention_distilbert.onnx</c> is such a model. This step re-labels those nodes as version 17 and
/// raises the import, before shape inference, so the model loads.
/// </summary>
public static class LegacyLayerNormalization
{
    /// <summary>Reads <paramref name="path"/>, upgrades pre-17 LayerNormalization nodes, and shape-infers the result.</summary>
    public static ModelGraph Load(string path, LoadOptions? options = null)
    {
        var graph = OnnxGraphReader.Read(path, options ?? new LoadOptions());
        Upgrade(graph);
        Analysis.ShapeInference.Run(graph);
        return graph;
    }

    /// <summary>Re-labels the nodes on a graph not yet shape-inferred; returns how many it changed.</summary>
    public static int Upgrade(ModelGraph graph)
    {
        int changed = 0;
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (node.Domain.Length != 0 || node.OpType != "LayerNormalization" || node.OpsetVersion >= LayerNormFusion.FusedVersion) continue;
            graph.Nodes[i] = new Node(node.Name, node.OpType, node.Domain, LayerNormFusion.FusedVersion, node.Inputs, node.Outputs, node.Attributes);
            changed++;
        }
        if (changed > 0 && graph.DefaultOpset < LayerNormFusion.FusedVersion) graph.OpsetImports[""] = LayerNormFusion.FusedVersion;
        return changed;
    }
}
