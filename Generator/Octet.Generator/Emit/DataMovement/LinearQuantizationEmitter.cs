using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// ONNX QuantizeLinear and DequantizeLinear as ops inside a plan (the edge ones are done by <c>Run</c>),
    /// per tensor or per axis, calling the runtime's <c>EdgeQuantization</c> / <c>AxisQuantization</c>, whose
    /// arithmetic is ONNX's (division in float32, round half to even, saturation). Per-tensor scale and zero
    /// point given inline are baked in as literals; stored in the weights, they are read there.
    /// </summary>
    internal sealed class LinearQuantizationEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "QuantizeLinear", "DequantizeLinear" };

        public void Emit(OpEmitContext context)
        {
            bool quantize = context.Op.OpType == "QuantizeLinear";
            if (!Checks.InputCount(context, 2)) return;
            var x = context.Input(0);
            var scale = context.Input(1);
            PlanTensor? zeroPoint = context.HasInput(2) ? context.Input(2) : null;
            var y = context.Output(0);
            if (!Checks.Layout(context, x) || !Checks.Layout(context, y) || !Checks.Size(context, x)) return;

            var dataTypes = quantize ? new[] { "float32", "int32" } : new[] { "int8", "uint8", "int16", "int32" };
            var resultTypes = quantize ? new[] { "int8", "uint8", "int16" } : new[] { "float32" };
            if (!dataTypes.Contains(x.ElementType) || !resultTypes.Contains(y.ElementType))
            {
                context.Unsupported($"{x.ElementType} → {y.ElementType}; supported: {string.Join("/", dataTypes)} → {string.Join("/", resultTypes)}");
                return;
            }
            string integerType = quantize ? y.ElementType : x.ElementType;
            if (scale.ElementType != "float32" || (zeroPoint != null && zeroPoint.ElementType != integerType))
            {
                context.Unsupported($"scale '{scale.Name}' must be float32 and zero point '{zeroPoint?.Name}' {integerType}");
                return;
            }
            if (x.Shape != y.Shape || x.Layout != y.Layout)
            {
                context.Unsupported($"input '{x.Name}' {Literals.Shape(x.Shape)} {x.Layout} and output '{y.Name}' {Literals.Shape(y.Shape)} {y.Layout} must agree in shape and layout");
                return;
            }
            string method = quantize ? "Quantize" : "Dequantize";
            long parameters = OpEmitContext.ElementCount(scale);
            if (parameters == 1)
            {
                if (zeroPoint != null && OpEmitContext.ElementCount(zeroPoint) != 1)
                {
                    context.Unsupported($"zero point '{zeroPoint.Name}' has {OpEmitContext.ElementCount(zeroPoint)} values for one scale");
                    return;
                }
                context.Code.Line("// Per tensor.");
                // int16 (a model whose 16-bit head output is dequantized last) has its own runtime class, same ONNX rules.
                string runtimeClass = integerType == "int16" ? "global::Octet.Runtime.Int16.WideQuantization" : "global::Octet.Runtime.DataMovement.EdgeQuantization";
                context.Code.Line($"{runtimeClass}.{method}({context.Span(x)}, {context.Span(y)}, {Scalar(context, scale)}, {(zeroPoint == null ? "0" : Scalar(context, zeroPoint))});");
                return;
            }

            if (integerType == "int16")
            {
                context.Unsupported($"per-axis {context.Op.OpType} of int16 tensor '{(quantize ? y : x).Name}' is not supported (int16 activations are per tensor)");
                return;
            }
            int rank = x.Shape.Count;
            int axis = Checks.NormalizeAxis(context, context.Int("axis", 1), rank);
            if (axis < 0) return;
            if (context.HasAttribute("block_size") && context.Int("block_size", 0) != 0)
            {
                context.Unsupported("blocked quantization (block_size) is not supported");
                return;
            }
            if (scale.Shape.Count != 1 || scale.Shape[0] != x.Shape[axis] || (zeroPoint != null && zeroPoint.Shape != scale.Shape))
            {
                context.Unsupported($"per-axis scale {Literals.Shape(scale.Shape)} (zero point {(zeroPoint == null ? "absent" : Literals.Shape(zeroPoint.Shape))}) does not match axis {axis} of {Literals.Shape(x.Shape)}");
                return;
            }
            // The data as [outer, axis, inner] in memory order: for NHWC the logical axis sits at its memory position.
            var position = TensorLayouts.MemoryPositionOfAxis(x);
            var memoryDims = new long[rank];
            for (int d = 0; d < rank; d++) memoryDims[position[d]] = x.Shape[d];
            int p = position[axis];
            long outer = memoryDims.Take(p).Aggregate(1L, (a, b) => a * b);
            long inner = memoryDims.Skip(p + 1).Aggregate(1L, (a, b) => a * b);
            string zeroPoints = zeroPoint == null ? "zeroPoints" : context.Span(zeroPoint);
            if (zeroPoint == null)
            {
                // An absent zero point is 0 for every channel. Cleared explicitly: the project may skip locals init.
                context.Code.Line($"Span<{OpEmitContext.ClrType(integerType)}> zeroPoints = stackalloc {OpEmitContext.ClrType(integerType)}[{parameters}];");
                context.Code.Line("zeroPoints.Clear();");
            }
            context.Code.Line($"// Per axis {axis}: the data as [{outer}, {x.Shape[axis]}, {inner}] in memory order.");
            context.Code.Line($"global::Octet.Runtime.DataMovement.AxisQuantization.{method}({context.Span(x)}, {context.Span(y)}, {context.Span(scale)}, {zeroPoints}, {outer}, {x.Shape[axis]}, {inner});");
        }

        /// <summary>A per-tensor parameter: its literal when inline, else a read of its one element.</summary>
        private static string Scalar(OpEmitContext context, PlanTensor tensor)
        {
            if (tensor.Storage == PlanStorage.Inline && tensor.Values.Count == 1)
                return Literals.Element(tensor.ElementType, tensor.Values[0]);
            return context.Span(tensor) + "[0]";
        }
    }
}
