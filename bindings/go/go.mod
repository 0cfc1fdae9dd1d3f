module libparn.org/parn

go 1.19
