using System.Collections.Generic;
using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit.DataMovement
{
    /// <summary>
    /// octet.ChannelShuffle (the compiler's <c>Operators.Layout.ChannelShuffle</c>): inputs concatenated along
    /// channels, shuffled channel c ← concatenated channel (c mod g)·(C/g) + c div g, cut into the outputs along
    /// channels. For one output and one group G the channels it takes are a contiguous run of one or more inputs,
    /// landing every g-th channel of the output: each such piece is one strided copy, in rowmajor or NHWC alike.
    /// The common case — NHWC, two groups, an output made of two equal runs (ShuffleNet) — is instead one call of
    /// the runtime's <c>ChannelInterleave</c>, which zips the two runs per pixel with vector instructions.
    /// </summary>
    internal sealed class ChannelShuffleEmitter : IOpEmitter
    {
        public IEnumerable<string> OpTypes => new[] { "octet.ChannelShuffle" };

        /// <summary>Channels [InputChannel, InputChannel + Count) of input Input → output channels OutputChannel + k·step.</summary>
        private sealed class Piece
        {
            public Piece(int input, int inputChannel, int count, int outputChannel)
            {
                Input = input;
                InputChannel = inputChannel;
                Count = count;
                OutputChannel = outputChannel;
            }

            public int Input { get; }
            public int InputChannel { get; }
            public int Count { get; }
            public int OutputChannel { get; }
        }

        public void Emit(OpEmitContext context)
        {
            int inputCount = context.Op.Inputs.Count;
            if (inputCount == 0)
            {
                context.Unsupported("has no inputs");
                return;
            }
            if (!Checks.InputCount(context, inputCount)) return;
            var inputs = Enumerable.Range(0, inputCount).Select(context.Input).ToArray();
            var outputs = Enumerable.Range(0, context.Op.Outputs.Count).Select(context.Output).ToArray();
            if (outputs.Length == 0)
            {
                context.Unsupported("has no outputs");
                return;
            }
            var reference = inputs[0];
            foreach (var tensor in inputs.Concat(outputs))
            {
                if (!Checks.SameElementType(context, reference, tensor) || !Checks.Layout(context, tensor) || !Checks.Size(context, tensor)) return;
                bool fits = tensor.Shape.Count == 4 && tensor.Shape[0] == reference.Shape[0] && tensor.Shape[2] == reference.Shape[2] && tensor.Shape[3] == reference.Shape[3];
                if (!fits)
                {
                    context.Unsupported($"tensor '{tensor.Name}' {Literals.Shape(tensor.Shape)} is not [N, C, H, W] with N, H, W of {Literals.Shape(reference.Shape)}");
                    return;
                }
            }
            int channels = inputs.Sum(t => t.Shape[1]);
            int groups = (int)context.Int("groups", 0);
            if (groups < 1 || channels % groups != 0)
            {
                context.Unsupported($"groups={groups} does not divide the {channels} input channels");
                return;
            }
            if (outputs.Sum(t => t.Shape[1]) != channels)
            {
                context.Unsupported($"the outputs have {outputs.Sum(t => t.Shape[1])} channels together, the inputs {channels}");
                return;
            }

            context.Code.Line($"// Channel shuffle: the {inputCount} input(s) concatenated along channels (C = {channels}), shuffled channel c ← concatenated channel " +
                              $"(c mod {groups})·{channels / groups} + c div {groups}, cut into {outputs.Length} output(s) along channels (ONNX: Concat → Reshape → Transpose → Reshape → Split).");
            var inputStart = new int[inputCount + 1];
            for (int i = 0; i < inputCount; i++) inputStart[i + 1] = inputStart[i] + inputs[i].Shape[1];
            int perGroup = channels / groups;
            int start = 0;
            for (int j = 0; j < outputs.Length; j++)
            {
                var output = outputs[j];
                var pieces = Pieces(inputStart, groups, perGroup, start, output.Shape[1]);
                context.Code.Line($"// Output {j} ({Literals.Quoted(output.Name)}) = shuffled channels [{start}, {start + output.Shape[1]}).");
                if (!TryInterleave(context, inputs, output, groups, pieces))
                {
                    foreach (var piece in pieces) WritePiece(context, inputs[piece.Input], output, groups, piece);
                }
                start += output.Shape[1];
            }
        }

        /// <summary>
        /// The runs of concatenated channels output channels [start, start + length) take: for each group G, shuffled
        /// channels c = k·g + G in the range read concatenated channel G·(C/g) + k, consecutive in k, so contiguous in
        /// the inputs except where one input ends and the next begins.
        /// </summary>
        private static List<Piece> Pieces(int[] inputStart, int groups, int perGroup, int start, int length)
        {
            var pieces = new List<Piece>();
            for (int group = 0; group < groups; group++)
            {
                int kLow = CeilingDivide(start - group, groups), kHigh = System.Math.Min(perGroup, CeilingDivide(start + length - group, groups));
                for (int k = kLow; k < kHigh;)
                {
                    int concatenated = group * perGroup + k;
                    int input = 0;
                    while (inputStart[input + 1] <= concatenated) input++;
                    int count = System.Math.Min(kHigh - k, inputStart[input + 1] - concatenated);
                    pieces.Add(new Piece(input, concatenated - inputStart[input], count, k * groups + group - start));
                    k += count;
                }
            }
            return pieces;
        }

        /// <summary>⌈a / b⌉ for b &gt; 0, and 0 for a ≤ 0.</summary>
        private static int CeilingDivide(int a, int b) => a <= 0 ? 0 : (a + b - 1) / b;

        /// <summary>NHWC, two groups, and the output is exactly two equal runs at channels 0, 1, 2, ...: one interleave.</summary>
        private static bool TryInterleave(OpEmitContext context, PlanTensor[] inputs, PlanTensor output, int groups, List<Piece> pieces)
        {
            if (groups != 2 || pieces.Count != 2 || output.Layout != TensorLayouts.Nhwc) return false;
            Piece even = pieces[0], odd = pieces[1];
            if (even.OutputChannel != 0 || odd.OutputChannel != 1 || even.Count != odd.Count || 2 * even.Count != output.Shape[1]) return false;
            var a = inputs[even.Input];
            var b = inputs[odd.Input];
            if (a.Layout != TensorLayouts.Nhwc || b.Layout != TensorLayouts.Nhwc) return false;
            int pixels = output.Shape[0] * output.Shape[2] * output.Shape[3];
            string type = OpEmitContext.ClrType(output.ElementType);
            context.Code.Line($"// Per pixel, channels {even.InputChannel}.. of {Literals.Quoted(a.Name)} and {odd.InputChannel}.. of {Literals.Quoted(b.Name)} alternate: {even.Count} pairs.");
            context.Code.Line($"global::Octet.Runtime.DataMovement.ChannelInterleave.Interleave<{type}>(");
            context.Code.Line($"    {context.Span(a)}, {even.InputChannel}, {a.Shape[1]},");
            context.Code.Line($"    {context.Span(b)}, {odd.InputChannel}, {b.Shape[1]},");
            context.Code.Line($"    {context.Span(output)}, 0, {output.Shape[1]}, {even.Count}, {pixels});");
            return true;
        }

        private static void WritePiece(OpEmitContext context, PlanTensor input, PlanTensor output, int groups, Piece piece)
        {
            var from = TensorLayouts.Strides(input);
            var to = TensorLayouts.Strides(output);
            context.Code.Line($"// Channels [{piece.InputChannel}, {piece.InputChannel + piece.Count}) of {Literals.Quoted(input.Name)} → output channels {piece.OutputChannel}, {piece.OutputChannel + groups}, ... (step {groups}).");
            var copy = new BoxCopy(
                (long)piece.InputChannel * from[1], Checks.Longs(from),
                (long)piece.OutputChannel * to[1], new[] { (long)to[0], (long)to[1] * groups, to[2], to[3] },
                new[] { (long)input.Shape[0], piece.Count, input.Shape[2], input.Shape[3] });
            CopyWriter.Write(context, input, output, copy);
        }
    }
}
