#include <stdio.h>

static int sum(const int *xs, int n) {
    int total = 0;
    for (int i = 0; i < n; i++) {
        total += xs[i];
    }
    return total;
}

int main(void) {
    int xs[] = {1, 2, 3};
    printf("%d\n", sum(xs, 3));
    return 0;
}
