using System.Linq;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit
{
    /// <summary>How a tensor's logical (ONNX) axes sit in memory, for the layouts activations can have.</summary>
    public static class TensorLayouts
    {
        public const string RowMajor = "rowmajor";
        public const string Nhwc = "NHWC";

        /// <summary>True for "rowmajor" and for rank-4 "NHWC": the layouts whose element order the data-movement emitters know.</summary>
        public static bool IsActivationLayout(PlanTensor tensor) =>
            tensor.Layout == RowMajor || (tensor.Layout == Nhwc && tensor.Shape.Count == 4);

        /// <summary>
        /// For each logical axis, the position of that axis in memory order (outermost first): the identity for
        /// rowmajor; N→0, C→3, H→1, W→2 for NHWC.
        /// </summary>
        public static int[] MemoryPositionOfAxis(PlanTensor tensor) =>
            tensor.Layout == Nhwc ? new[] { 0, 3, 1, 2 } : Enumerable.Range(0, tensor.Shape.Count).ToArray();

        /// <summary>Element stride of each logical axis in memory.</summary>
        public static int[] Strides(PlanTensor tensor)
        {
            int rank = tensor.Shape.Count;
            var position = MemoryPositionOfAxis(tensor);
            // Dimensions in memory order, then row-major strides over them, then back to logical order.
            var memoryDims = new int[rank];
            for (int axis = 0; axis < rank; axis++) memoryDims[position[axis]] = tensor.Shape[axis];
            var memoryStrides = new int[rank];
            int stride = 1;
            for (int p = rank - 1; p >= 0; p--)
            {
                memoryStrides[p] = stride;
                stride *= memoryDims[p];
            }
            var strides = new int[rank];
            for (int axis = 0; axis < rank; axis++) strides[axis] = memoryStrides[position[axis]];
            return strides;
        }

        /// <summary>Row-major element strides of a shape.</summary>
        public static int[] RowMajorStrides(int[] shape)
        {
            var strides = new int[shape.Length];
            int stride = 1;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                strides[d] = stride;
                stride *= shape[d];
            }
            return strides;
        }
    }
}
