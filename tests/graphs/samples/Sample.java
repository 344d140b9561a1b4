import java.util.ArrayList;
import java.util.List;

public class Sample {
    private int count = 0;

    public List<Integer> evens(int[] values) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            int v = values[i];
            if (v % 2 == 0) {
                out.add(v);
                count += 1;
            }
        }
        return out;
    }
}
