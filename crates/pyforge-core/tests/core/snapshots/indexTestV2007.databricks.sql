
CREATE TABLE `Table2` (
    `id` INT NOT NULL /* default in Access: 0 */,
    `data` STRING,
    CONSTRAINT `Table2_pk` PRIMARY KEY (`id`)
);
-- index `id` on (`id`) not created: Databricks has no indexes

CREATE TABLE `Table3` (
    `id` INT NOT NULL /* default in Access: 0 */,
    `data` STRING,
    CONSTRAINT `Table3_pk` PRIMARY KEY (`id`)
);
-- index `id` on (`id`) not created: Databricks has no indexes

CREATE TABLE `Table1` (
    `id` INT NOT NULL /* default in Access: 0 */,
    `otherfk1` INT /* default in Access: 0 */,
    `otherfk2` INT /* default in Access: 0 */,
    `data` STRING,
    `otherfk3` INT /* default in Access: 0 */,
    CONSTRAINT `Table1_pk` PRIMARY KEY (`id`)
);
-- index `id` on (`id`) not created: Databricks has no indexes

ALTER TABLE `Table1` ADD CONSTRAINT `Table2Table1` FOREIGN KEY (`otherfk1`) REFERENCES `Table2` (`id`);
-- relationship `Table2Table1`: `Table1` (`otherfk1`) -> `Table2` (`id`): its cascades are not expressible: Databricks constraints are informational
ALTER TABLE `Table1` ADD CONSTRAINT `Table3Table1` FOREIGN KEY (`otherfk2`) REFERENCES `Table3` (`id`);
-- relationship `Table3Table1`: `Table1` (`otherfk2`) -> `Table3` (`id`): its cascades are not expressible: Databricks constraints are informational
