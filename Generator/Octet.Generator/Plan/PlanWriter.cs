using System;
using System.Collections.Generic;
using System.Text;

namespace Octet.Generator.Plan
{
    /// <summary>
    /// Writes a <see cref="ModelPlan"/> as plan text (docs/model-plan.md): UTF-8, <c>\n</c> line ends, one
    /// statement per line. The text depends only on the plan, so equal plans give identical bytes.
    /// </summary>
    public static class PlanWriter
    {
        public static string Write(ModelPlan plan)
        {
            var text = new StringBuilder();
            Line(text, "octet-plan", PlanText.Int(plan.Version));
            Line(text, "model", PlanText.Name(plan.Model));
            Line(text, "source", PlanText.Name(plan.Source.FileName), "sha256", plan.Source.Sha256);
            Line(text, "numerics", plan.Numerics);
            Line(text, "memory", "arena", PlanText.Int(plan.Memory.ArenaBytes),
                "lower-bound", PlanText.Int(plan.Memory.LowerBoundBytes), "naive", PlanText.Int(plan.Memory.NaiveBytes));
            Line(text, "weights", "bytes", PlanText.Int(plan.Weights.Bytes), "sha256", plan.Weights.Sha256);
            foreach (var edge in plan.Inputs) WriteEdge(text, "input", "quantize", edge);
            foreach (var edge in plan.Outputs) WriteEdge(text, "output", "dequantize", edge);
            foreach (var tensor in plan.Tensors) WriteTensor(text, tensor);
            foreach (var op in plan.Ops) WriteOp(text, op);
            return text.ToString();
        }

        private static void WriteEdge(StringBuilder text, string keyword, string stepKeyword, PlanEdge edge)
        {
            var tokens = new List<string> { keyword, PlanText.Name(edge.Name), "tensor", PlanText.Name(edge.Tensor) };
            if (edge.Quantized is { } q)
            {
                tokens.Add(stepKeyword);
                tokens.Add(PlanText.Name(q.Tensor));
                tokens.Add(q.ElementType);
                tokens.Add("scale");
                tokens.Add(PlanText.Float(q.Scale));
                tokens.Add("zero-point");
                tokens.Add(PlanText.Int(q.ZeroPoint));
            }
            Line(text, tokens.ToArray());
        }

        private static void WriteTensor(StringBuilder text, PlanTensor tensor)
        {
            var tokens = new List<string>
            {
                "tensor", PlanText.Name(tensor.Name), tensor.ElementType, PlanText.Shape(tensor.Shape), tensor.Layout,
            };
            switch (tensor.Storage)
            {
                case PlanStorage.Arena:
                    tokens.Add("arena");
                    tokens.Add(PlanText.Int(tensor.Offset));
                    break;
                case PlanStorage.Weights:
                    tokens.Add("weights");
                    tokens.Add(PlanText.Int(tensor.Offset));
                    break;
                case PlanStorage.Inline:
                    tokens.Add("inline");
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(tensor), tensor.Storage, "unknown storage of tensor " + tensor.Name);
            }
            tokens.Add("bytes");
            tokens.Add(PlanText.Int(tensor.Bytes));
            if (tensor.Storage == PlanStorage.Inline)
            {
                tokens.Add("values");
                tokens.AddRange(tensor.Values);
            }
            Line(text, tokens.ToArray());
        }

        private static void WriteOp(StringBuilder text, PlanOp op)
        {
            Line(text, "op", PlanText.Int(op.Index), op.OpType, PlanText.Name(op.Name));
            foreach (var entry in op.From)
            {
                PlanOp.SplitFrom(entry, out string onnxOpType, out string nodeName);
                Line(text, "  from", PlanText.Name(onnxOpType), PlanText.Name(nodeName));
            }
            var inputs = new List<string> { "  inputs" };
            foreach (var input in op.Inputs) inputs.Add(PlanText.Name(input));
            Line(text, inputs.ToArray());
            var outputs = new List<string> { "  outputs" };
            foreach (var output in op.Outputs) outputs.Add(PlanText.Name(output));
            Line(text, outputs.ToArray());

            // Sorted by name (ordinal) so the text does not depend on the order attributes were collected in.
            var attributes = new List<PlanAttribute>(op.Attributes);
            attributes.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var attribute in attributes)
            {
                var tokens = new List<string> { "  attr", PlanText.Name(attribute.Name), KindKeyword(attribute.Kind) };
                if (attribute.Kind == PlanAttributeKind.String)
                {
                    foreach (var value in attribute.Values) tokens.Add(PlanText.Quote(value));
                }
                else tokens.AddRange(attribute.Values);
                Line(text, tokens.ToArray());
            }
            text.Append("end\n");
        }

        internal static string KindKeyword(PlanAttributeKind kind)
        {
            switch (kind)
            {
                case PlanAttributeKind.Int: return "int";
                case PlanAttributeKind.Ints: return "ints";
                case PlanAttributeKind.Float: return "float";
                case PlanAttributeKind.Floats: return "floats";
                case PlanAttributeKind.String: return "string";
                default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown attribute kind");
            }
        }

        private static void Line(StringBuilder text, params string[] tokens)
        {
            text.Append(string.Join(" ", tokens)).Append('\n');
        }
    }
}
